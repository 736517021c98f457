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
	RolePrivacy    Role = "privacy_officer"
)

// Roles lists the built-in roles in display order.
var Roles = []Role{RoleAdmin, RoleManager, RoleSales, RoleFinance, RoleMarketing, RoleSupport, RoleCounsellor, RoleFieldRep, RoleAuditor, RolePrivacy}

// RoleSummary says in a line what each role is for (docs/ROLES.md).
var RoleSummary = map[Role]string{
	RoleAdmin:      "everything, including users and the audit log",
	RoleManager:    "the customers, companies, deals and store visits of their team; no special-category fields",
	RoleSales:      "their own customers: contact details and purchase history; national id masked",
	RoleFinance:    "all customers for transactions; identity masked; no contact details in full, no notes, preferences or special fields",
	RoleMarketing:  "all customers' preferences and feedback; contact details masked; no identity documents, notes or special fields",
	RoleSupport:    "the customers of their team: names and contact details",
	RoleCounsellor: "only the clients assigned to them, including special-category fields and sealed notes",
	RoleFieldRep:   "their own store visits (check-in/out, notes, photos) and the stores assigned to them; no customer records",
	RoleAuditor:    "the audit log and the compliance reports; no personal data at all",
	RolePrivacy:    "the privacy centre (requests, retention, incidents, reports) and the audit log; a person's data only as their request needs it",
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
var policy = map[Role]map[Object]Grant{
	RoleAdmin: {
		ObjectCustomer: {
			Actions: map[Action]Scope{ActionRead: ScopeAll, ActionCreate: ScopeAll, ActionUpdate: ScopeAll, ActionDelete: ScopeAll, ActionExport: ScopeAll},
			Classes: allWrite,
		},
		ObjectCompany: {
			Actions: map[Action]Scope{ActionRead: ScopeAll, ActionCreate: ScopeAll, ActionUpdate: ScopeAll, ActionDelete: ScopeAll, ActionExport: ScopeAll},
			Classes: allWrite,
		},
		ObjectDeal: {
			Actions: map[Action]Scope{ActionRead: ScopeAll, ActionCreate: ScopeAll, ActionUpdate: ScopeAll, ActionDelete: ScopeAll, ActionExport: ScopeAll},
			Classes: allWrite,
		},
		ObjectVisit: {
			Actions: map[Action]Scope{ActionRead: ScopeAll, ActionCreate: ScopeAll, ActionUpdate: ScopeAll, ActionDelete: ScopeAll},
			Classes: allWrite,
		},
		ObjectTransaction: {
			Actions: map[Action]Scope{ActionRead: ScopeAll, ActionCreate: ScopeAll, ActionUpdate: ScopeAll, ActionExport: ScopeAll},
			Classes: allWrite,
		},
		ObjectUser:        {Actions: map[Action]Scope{ActionRead: ScopeAll, ActionCreate: ScopeAll, ActionUpdate: ScopeAll}},
		ObjectAudit:       {Actions: map[Action]Scope{ActionRead: ScopeAll}},
		ObjectPrivacy:     {Actions: map[Action]Scope{ActionRead: ScopeAll, ActionUpdate: ScopeAll}},
		ObjectIntegration: {Actions: map[Action]Scope{ActionRead: ScopeAll, ActionCreate: ScopeAll, ActionUpdate: ScopeAll, ActionDelete: ScopeAll}},
		ObjectDevice:      {Actions: map[Action]Scope{ActionRead: ScopeAll, ActionUpdate: ScopeAll, ActionDelete: ScopeAll}},
	},
	RoleManager: {
		ObjectCustomer: {
			Actions: crud(ScopeTeam),
			Classes: classes{crm.ClassIdentity: Write, crm.ClassContact: Write, crm.ClassFinancial: Read, crm.ClassPreference: Read, crm.ClassNotes: Write},
		},
		ObjectCompany: {
			Actions: crud(ScopeTeam),
			Classes: classes{crm.ClassIdentity: Write, crm.ClassContact: Write, crm.ClassNotes: Write},
		},
		ObjectDeal: {
			Actions: withDelete(crud(ScopeTeam), ScopeTeam),
			Classes: classes{crm.ClassNotes: Write, crm.ClassFinancial: Write},
		},
		ObjectVisit: {
			Actions: map[Action]Scope{ActionRead: ScopeTeam, ActionCreate: ScopeTeam, ActionDelete: ScopeTeam},
			Classes: classes{crm.ClassContact: Read, crm.ClassNotes: Read},
		},
		ObjectTransaction: {
			Actions: map[Action]Scope{ActionRead: ScopeTeam},
			Classes: classes{crm.ClassFinancial: Read},
		},
	},
	RoleSales: {
		ObjectCustomer: {
			Actions: withReveal(crud(ScopeOwn), ScopeOwn),
			Classes: classes{crm.ClassIdentity: Write, crm.ClassContact: Write, crm.ClassFinancial: Read, crm.ClassNotes: Write, crm.ClassPreference: Read},
			Fields:  map[string]Level{crm.FieldNationalID: Masked},
			Reveal:  map[string]bool{crm.FieldNationalID: true},
		},
		ObjectCompany: {
			Actions: crud(ScopeOwn),
			Classes: classes{crm.ClassIdentity: Write, crm.ClassContact: Write, crm.ClassNotes: Write},
		},
		ObjectDeal: {
			Actions: withDelete(crud(ScopeOwn), ScopeOwn),
			Classes: classes{crm.ClassNotes: Write, crm.ClassFinancial: Write},
		},
		ObjectTransaction: {
			Actions: map[Action]Scope{ActionRead: ScopeOwn},
			Classes: classes{crm.ClassFinancial: Read},
		},
	},
	RoleFinance: {
		ObjectCustomer: {
			Actions: map[Action]Scope{ActionRead: ScopeAll, ActionExport: ScopeAll, ActionReveal: ScopeAll},
			Classes: classes{crm.ClassIdentity: Masked, crm.ClassContact: Masked, crm.ClassFinancial: Write},
			Reveal:  map[string]bool{crm.FieldName: true},
		},
		ObjectCompany: {
			Actions: map[Action]Scope{ActionRead: ScopeAll, ActionExport: ScopeAll},
			Classes: classes{crm.ClassIdentity: Read, crm.ClassContact: Read},
		},
		ObjectDeal: {
			Actions: map[Action]Scope{ActionRead: ScopeAll, ActionExport: ScopeAll},
			Classes: classes{crm.ClassFinancial: Read, crm.ClassNotes: Read},
		},
		ObjectTransaction: {
			Actions: map[Action]Scope{ActionRead: ScopeAll, ActionCreate: ScopeAll, ActionUpdate: ScopeAll, ActionExport: ScopeAll},
			Classes: classes{crm.ClassFinancial: Write},
		},
	},
	RoleMarketing: {
		ObjectCustomer: {
			// update reaches only what marketing may write: the preference class
			Actions: map[Action]Scope{ActionRead: ScopeAll, ActionUpdate: ScopeAll, ActionExport: ScopeAll},
			Classes: classes{crm.ClassIdentity: Read, crm.ClassContact: Masked, crm.ClassPreference: Write},
			Fields:  map[string]Level{crm.FieldNationalID: Hidden},
		},
		ObjectCompany: {
			Actions: map[Action]Scope{ActionRead: ScopeAll, ActionExport: ScopeAll},
			Classes: classes{crm.ClassIdentity: Read, crm.ClassContact: Read},
		},
	},
	RoleSupport: {
		ObjectCustomer: {
			Actions: map[Action]Scope{ActionRead: ScopeTeam, ActionUpdate: ScopeTeam},
			Classes: classes{crm.ClassIdentity: Read, crm.ClassContact: Write},
			Fields:  map[string]Level{crm.FieldNationalID: Hidden},
		},
		ObjectCompany: {
			Actions: map[Action]Scope{ActionRead: ScopeTeam},
			Classes: classes{crm.ClassIdentity: Read, crm.ClassContact: Read},
		},
	},
	RoleCounsellor: {
		ObjectCustomer: {
			Actions: crud(ScopeOwn),
			Classes: classes{crm.ClassIdentity: Write, crm.ClassContact: Write, crm.ClassNotes: Write, crm.ClassSpecial: Write, crm.ClassPreference: Read},
		},
		ObjectSealedNote: {Actions: map[Action]Scope{ActionRead: ScopeAll, ActionCreate: ScopeAll}},
	},
	RoleFieldRep: {
		// A field rep reaches the stores assigned to them, and their own visits.
		ObjectCompany: {
			Actions: map[Action]Scope{ActionRead: ScopeOwn, ActionUpdate: ScopeOwn},
			Classes: classes{crm.ClassIdentity: Read, crm.ClassContact: Read, crm.ClassNotes: Write},
		},
		ObjectVisit: {
			Actions: map[Action]Scope{ActionRead: ScopeOwn, ActionCreate: ScopeOwn, ActionUpdate: ScopeOwn},
			Classes: classes{crm.ClassContact: Write, crm.ClassNotes: Write},
		},
	},
	RoleAuditor: {
		ObjectAudit:       {Actions: map[Action]Scope{ActionRead: ScopeAll}},
		ObjectPrivacy:     {Actions: map[Action]Scope{ActionRead: ScopeAll}},
		ObjectIntegration: {Actions: map[Action]Scope{ActionRead: ScopeAll}},
		ObjectDevice:      {Actions: map[Action]Scope{ActionRead: ScopeAll}},
	},
	RolePrivacy: {
		ObjectAudit:   {Actions: map[Action]Scope{ActionRead: ScopeAll}},
		ObjectPrivacy: {Actions: map[Action]Scope{ActionRead: ScopeAll, ActionUpdate: ScopeAll}},
	},
}
