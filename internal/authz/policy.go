package authz

import "strongroom.dev/strongroom/internal/crm"

// The built-in roles (least privilege, deny by default).
const (
	RoleAdmin      Role = "admin"
	RoleManager    Role = "manager"
	RoleSales      Role = "sales"
	RoleFinance    Role = "finance"
	RoleMarketing  Role = "marketing"
	RoleSupport    Role = "support"
	RoleCounsellor Role = "counsellor"
	RoleFieldRep   Role = "field_rep"
	RoleAuditor    Role = "auditor"
)

// Roles lists the built-in roles in display order.
var Roles = []Role{RoleAdmin, RoleManager, RoleSales, RoleFinance, RoleMarketing, RoleSupport, RoleCounsellor, RoleFieldRep, RoleAuditor}

// RoleSummary says in a line what each role is for (docs/ROLES.md).
var RoleSummary = map[Role]string{
	RoleAdmin:      "everything, including users and the audit log",
	RoleManager:    "the customers, companies, deals and store visits of their team; no special-category fields",
	RoleSales:      "their own customers: contact details and purchase history; national id masked",
	RoleFinance:    "all customers for transactions; identity masked; no contact details in full, no notes, preferences or special fields",
	RoleMarketing:  "all customers' preferences and feedback; contact details masked; no identity documents, notes or special fields",
	RoleSupport:    "the customers of their team: names and contact details",
	RoleCounsellor: "only the clients assigned to them, including special-category fields",
	RoleFieldRep:   "their own store visits (check-in/out, notes, photos) and the stores assigned to them; no customer records",
	RoleAuditor:    "the audit log only; no personal data at all",
}

type classes = map[crm.FieldClass]Level

var (
	allWrite = classes{crm.ClassIdentity: Write, crm.ClassContact: Write, crm.ClassFinancial: Write, crm.ClassPreference: Write, crm.ClassNotes: Write, crm.ClassSpecial: Write}
	crud     = func(s Scope) map[Action]Scope {
		return map[Action]Scope{ActionRead: s, ActionCreate: s, ActionUpdate: s, ActionExport: s}
	}
	withReveal = func(m map[Action]Scope, s Scope) map[Action]Scope {
		m[ActionReveal] = s
		return m
	}
	withDelete = func(m map[Action]Scope, s Scope) map[Action]Scope {
		m[ActionDelete] = s
		return m
	}
)

// policy is the role table. Anything not listed is denied.
var policy = map[Role]map[Object]grant{
	RoleAdmin: {
		ObjectCustomer: {
			actions: map[Action]Scope{ActionRead: ScopeAll, ActionCreate: ScopeAll, ActionUpdate: ScopeAll, ActionDelete: ScopeAll, ActionExport: ScopeAll},
			classes: allWrite,
		},
		ObjectCompany: {
			actions: map[Action]Scope{ActionRead: ScopeAll, ActionCreate: ScopeAll, ActionUpdate: ScopeAll, ActionDelete: ScopeAll, ActionExport: ScopeAll},
			classes: allWrite,
		},
		ObjectDeal: {
			actions: map[Action]Scope{ActionRead: ScopeAll, ActionCreate: ScopeAll, ActionUpdate: ScopeAll, ActionDelete: ScopeAll, ActionExport: ScopeAll},
			classes: allWrite,
		},
		ObjectVisit: {
			actions: map[Action]Scope{ActionRead: ScopeAll, ActionCreate: ScopeAll, ActionUpdate: ScopeAll, ActionDelete: ScopeAll},
			classes: allWrite,
		},
		ObjectTransaction: {
			actions: map[Action]Scope{ActionRead: ScopeAll, ActionCreate: ScopeAll, ActionUpdate: ScopeAll, ActionExport: ScopeAll},
			classes: allWrite,
		},
		ObjectUser:  {actions: map[Action]Scope{ActionRead: ScopeAll, ActionCreate: ScopeAll, ActionUpdate: ScopeAll}},
		ObjectAudit: {actions: map[Action]Scope{ActionRead: ScopeAll}},
	},
	RoleManager: {
		ObjectCustomer: {
			actions: crud(ScopeTeam),
			classes: classes{crm.ClassIdentity: Write, crm.ClassContact: Write, crm.ClassFinancial: Read, crm.ClassPreference: Read, crm.ClassNotes: Write},
		},
		ObjectCompany: {
			actions: crud(ScopeTeam),
			classes: classes{crm.ClassIdentity: Write, crm.ClassContact: Write, crm.ClassNotes: Write},
		},
		ObjectDeal: {
			actions: withDelete(crud(ScopeTeam), ScopeTeam),
			classes: classes{crm.ClassNotes: Write, crm.ClassFinancial: Write},
		},
		ObjectVisit: {
			actions: map[Action]Scope{ActionRead: ScopeTeam, ActionCreate: ScopeTeam, ActionDelete: ScopeTeam},
			classes: classes{crm.ClassContact: Read, crm.ClassNotes: Read},
		},
		ObjectTransaction: {
			actions: map[Action]Scope{ActionRead: ScopeTeam},
			classes: classes{crm.ClassFinancial: Read},
		},
	},
	RoleSales: {
		ObjectCustomer: {
			actions: withReveal(crud(ScopeOwn), ScopeOwn),
			classes: classes{crm.ClassIdentity: Write, crm.ClassContact: Write, crm.ClassFinancial: Read, crm.ClassNotes: Write, crm.ClassPreference: Read},
			fields:  map[string]Level{crm.FieldNationalID: Masked},
			reveal:  map[string]bool{crm.FieldNationalID: true},
		},
		ObjectCompany: {
			actions: crud(ScopeOwn),
			classes: classes{crm.ClassIdentity: Write, crm.ClassContact: Write, crm.ClassNotes: Write},
		},
		ObjectDeal: {
			actions: withDelete(crud(ScopeOwn), ScopeOwn),
			classes: classes{crm.ClassNotes: Write, crm.ClassFinancial: Write},
		},
		ObjectTransaction: {
			actions: map[Action]Scope{ActionRead: ScopeOwn},
			classes: classes{crm.ClassFinancial: Read},
		},
	},
	RoleFinance: {
		ObjectCustomer: {
			actions: map[Action]Scope{ActionRead: ScopeAll, ActionExport: ScopeAll, ActionReveal: ScopeAll},
			classes: classes{crm.ClassIdentity: Masked, crm.ClassContact: Masked, crm.ClassFinancial: Write},
			reveal:  map[string]bool{crm.FieldName: true},
		},
		ObjectCompany: {
			actions: map[Action]Scope{ActionRead: ScopeAll, ActionExport: ScopeAll},
			classes: classes{crm.ClassIdentity: Read, crm.ClassContact: Read},
		},
		ObjectDeal: {
			actions: map[Action]Scope{ActionRead: ScopeAll, ActionExport: ScopeAll},
			classes: classes{crm.ClassFinancial: Read, crm.ClassNotes: Read},
		},
		ObjectTransaction: {
			actions: map[Action]Scope{ActionRead: ScopeAll, ActionCreate: ScopeAll, ActionUpdate: ScopeAll, ActionExport: ScopeAll},
			classes: classes{crm.ClassFinancial: Write},
		},
	},
	RoleMarketing: {
		ObjectCustomer: {
			// update reaches only what marketing may write: the preference class
			actions: map[Action]Scope{ActionRead: ScopeAll, ActionUpdate: ScopeAll, ActionExport: ScopeAll},
			classes: classes{crm.ClassIdentity: Read, crm.ClassContact: Masked, crm.ClassPreference: Write},
			fields:  map[string]Level{crm.FieldNationalID: Hidden},
		},
		ObjectCompany: {
			actions: map[Action]Scope{ActionRead: ScopeAll, ActionExport: ScopeAll},
			classes: classes{crm.ClassIdentity: Read, crm.ClassContact: Read},
		},
	},
	RoleSupport: {
		ObjectCustomer: {
			actions: map[Action]Scope{ActionRead: ScopeTeam, ActionUpdate: ScopeTeam},
			classes: classes{crm.ClassIdentity: Read, crm.ClassContact: Write},
			fields:  map[string]Level{crm.FieldNationalID: Hidden},
		},
		ObjectCompany: {
			actions: map[Action]Scope{ActionRead: ScopeTeam},
			classes: classes{crm.ClassIdentity: Read, crm.ClassContact: Read},
		},
	},
	RoleCounsellor: {
		ObjectCustomer: {
			actions: crud(ScopeOwn),
			classes: classes{crm.ClassIdentity: Write, crm.ClassContact: Write, crm.ClassNotes: Write, crm.ClassSpecial: Write, crm.ClassPreference: Read},
		},
	},
	RoleFieldRep: {
		// A field rep reaches the stores assigned to them, and their own visits.
		ObjectCompany: {
			actions: map[Action]Scope{ActionRead: ScopeOwn, ActionUpdate: ScopeOwn},
			classes: classes{crm.ClassIdentity: Read, crm.ClassContact: Read, crm.ClassNotes: Write},
		},
		ObjectVisit: {
			actions: map[Action]Scope{ActionRead: ScopeOwn, ActionCreate: ScopeOwn, ActionUpdate: ScopeOwn},
			classes: classes{crm.ClassContact: Write, crm.ClassNotes: Write},
		},
	},
	RoleAuditor: {
		ObjectAudit: {actions: map[Action]Scope{ActionRead: ScopeAll}},
	},
}
