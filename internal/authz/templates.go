package authz

import "strongroom.dev/strongroom/internal/crm"

// Template is a set of roles for one kind of business, defined in one
// step. The roles are ordinary defined roles afterwards: administrators
// change, copy or retire them like any other.
type Template struct {
	Name    string    `json:"name"`
	Title   string    `json:"title"`
	Purpose string    `json:"purpose"`
	Roles   []RoleDef `json:"roles"`
}

type lv = map[crm.FieldClass]Level

func acts(pairs ...any) map[Action]Scope {
	m := map[Action]Scope{}
	for i := 0; i < len(pairs); i += 2 {
		m[pairs[i].(Action)] = pairs[i+1].(Scope)
	}
	return m
}

// Templates are the industry templates, in display order.
var Templates = []Template{
	{
		Name: "auction_house", Title: "Auction house",
		Purpose: "Specialists keep their own collectors; settlement sees money, not contact details; client relations keeps preferences; identity documents stay masked and are revealed one at a time with a reason.",
		Roles: []RoleDef{
			{Name: "auction_specialist", Summary: "their own collectors: contact details, interests, lots won; identity document masked (reveal with a reason)", Grants: map[Object]Grant{
				ObjectCustomer:    {Actions: acts(ActionRead, ScopeOwn, ActionCreate, ScopeOwn, ActionUpdate, ScopeOwn, ActionReveal, ScopeOwn), Classes: lv{crm.ClassIdentity: Write, crm.ClassContact: Write, crm.ClassFinancial: Read, crm.ClassPreference: Read, crm.ClassNotes: Write}, Fields: map[string]Level{crm.FieldNationalID: Masked}, Reveal: map[string]bool{crm.FieldNationalID: true}},
				ObjectDeal:        {Actions: acts(ActionRead, ScopeOwn, ActionCreate, ScopeOwn, ActionUpdate, ScopeOwn), Classes: lv{crm.ClassNotes: Write, crm.ClassFinancial: Write}},
				ObjectTransaction: {Actions: acts(ActionRead, ScopeOwn), Classes: lv{crm.ClassFinancial: Read}},
			}},
			{Name: "auction_settlement", Summary: "invoices, payments and refunds for every buyer; names masked (reveal with a reason), no contact details", Grants: map[Object]Grant{
				ObjectCustomer:    {Actions: acts(ActionRead, ScopeAll, ActionReveal, ScopeAll), Classes: lv{crm.ClassIdentity: Masked, crm.ClassFinancial: Read}, Fields: map[string]Level{crm.FieldNationalID: Hidden}, Reveal: map[string]bool{crm.FieldName: true}},
				ObjectTransaction: {Actions: acts(ActionRead, ScopeAll, ActionCreate, ScopeAll, ActionUpdate, ScopeAll, ActionExport, ScopeAll), Classes: lv{crm.ClassFinancial: Write}},
			}},
			{Name: "client_relations", Summary: "every collector's interests and feedback; contact details read; no identity documents or notes", Grants: map[Object]Grant{
				ObjectCustomer: {Actions: acts(ActionRead, ScopeAll, ActionUpdate, ScopeAll), Classes: lv{crm.ClassIdentity: Read, crm.ClassContact: Read, crm.ClassPreference: Write}, Fields: map[string]Level{crm.FieldNationalID: Hidden}},
			}},
		},
	},
	{
		Name: "coatings_manufacturer", Title: "Coatings manufacturer",
		Purpose: "Dealer managers run their team's distributors and deals; technical sales keep their own contractors; service answers their team's customers without seeing deals.",
		Roles: []RoleDef{
			{Name: "dealer_manager", Summary: "their team's distributors and stores, deals and store visits", Grants: map[Object]Grant{
				ObjectCompany: {Actions: acts(ActionRead, ScopeTeam, ActionCreate, ScopeTeam, ActionUpdate, ScopeTeam, ActionExport, ScopeTeam), Classes: lv{crm.ClassIdentity: Write, crm.ClassContact: Write, crm.ClassNotes: Write}},
				ObjectDeal:    {Actions: acts(ActionRead, ScopeTeam, ActionCreate, ScopeTeam, ActionUpdate, ScopeTeam, ActionDelete, ScopeTeam), Classes: lv{crm.ClassNotes: Write, crm.ClassFinancial: Write}},
				ObjectVisit:   {Actions: acts(ActionRead, ScopeTeam, ActionCreate, ScopeTeam), Classes: lv{crm.ClassContact: Read, crm.ClassNotes: Read}},
			}},
			{Name: "technical_sales", Summary: "their own contractors and projects: contacts, notes, deals", Grants: map[Object]Grant{
				ObjectCustomer: {Actions: acts(ActionRead, ScopeOwn, ActionCreate, ScopeOwn, ActionUpdate, ScopeOwn), Classes: lv{crm.ClassIdentity: Write, crm.ClassContact: Write, crm.ClassNotes: Write}, Fields: map[string]Level{crm.FieldNationalID: Hidden}},
				ObjectCompany:  {Actions: acts(ActionRead, ScopeOwn, ActionUpdate, ScopeOwn), Classes: lv{crm.ClassIdentity: Read, crm.ClassContact: Read, crm.ClassNotes: Write}},
				ObjectDeal:     {Actions: acts(ActionRead, ScopeOwn, ActionCreate, ScopeOwn, ActionUpdate, ScopeOwn), Classes: lv{crm.ClassNotes: Write, crm.ClassFinancial: Write}},
			}},
			{Name: "coatings_service", Summary: "their team's customers' contact details for service calls; no deals, no money", Grants: map[Object]Grant{
				ObjectCustomer: {Actions: acts(ActionRead, ScopeTeam, ActionUpdate, ScopeTeam), Classes: lv{crm.ClassIdentity: Read, crm.ClassContact: Write, crm.ClassNotes: Read}, Fields: map[string]Level{crm.FieldNationalID: Hidden}},
				ObjectCompany:  {Actions: acts(ActionRead, ScopeTeam), Classes: lv{crm.ClassIdentity: Read, crm.ClassContact: Read}},
			}},
		},
	},
	{
		Name: "payment_services", Title: "Payment and financial services",
		Purpose: "KYC analysts check identity (documents masked, revealed with a reason); risk reads every transaction and the audit log; support helps their team's customers without identity documents.",
		Roles: []RoleDef{
			{Name: "kyc_analyst", Summary: "every customer's identity for checks; identity documents masked (reveal with a reason); no export", Grants: map[Object]Grant{
				ObjectCustomer: {Actions: acts(ActionRead, ScopeAll, ActionReveal, ScopeAll), Classes: lv{crm.ClassIdentity: Read, crm.ClassContact: Masked, crm.ClassFinancial: Read}, Fields: map[string]Level{crm.FieldNationalID: Masked}, Reveal: map[string]bool{crm.FieldNationalID: true}},
			}},
			{Name: "risk_officer", Summary: "every transaction and the audit log; names masked (reveal with a reason)", Grants: map[Object]Grant{
				ObjectCustomer:    {Actions: acts(ActionRead, ScopeAll, ActionReveal, ScopeAll), Classes: lv{crm.ClassIdentity: Masked, crm.ClassFinancial: Read}, Fields: map[string]Level{crm.FieldNationalID: Hidden}, Reveal: map[string]bool{crm.FieldName: true}},
				ObjectTransaction: {Actions: acts(ActionRead, ScopeAll, ActionExport, ScopeAll), Classes: lv{crm.ClassFinancial: Read}},
				ObjectAudit:       {Actions: acts(ActionRead, ScopeAll)},
			}},
			{Name: "payments_support", Summary: "their team's customers: names and contact details; no identity documents; money masked", Grants: map[Object]Grant{
				ObjectCustomer: {Actions: acts(ActionRead, ScopeTeam, ActionUpdate, ScopeTeam), Classes: lv{crm.ClassIdentity: Read, crm.ClassContact: Write, crm.ClassFinancial: Masked}, Fields: map[string]Level{crm.FieldNationalID: Hidden}},
			}},
		},
	},
	{
		Name: "counselling_agency", Title: "Counselling agency",
		Purpose: "Intake records new clients without assessments; counsellors (built in) keep their own clients' assessments; supervisors read their team's; administration sees names and contacts only.",
		Roles: []RoleDef{
			{Name: "intake_worker", Summary: "registers new clients: names, contact details, notes; never assessments", Grants: map[Object]Grant{
				ObjectCustomer: {Actions: acts(ActionRead, ScopeOwn, ActionCreate, ScopeOwn, ActionUpdate, ScopeOwn), Classes: lv{crm.ClassIdentity: Write, crm.ClassContact: Write, crm.ClassNotes: Write}},
			}},
			{Name: "clinical_supervisor", Summary: "reads their team's clients, assessments included; sealed notes written to them; no changes, no export", Grants: map[Object]Grant{
				ObjectCustomer:   {Actions: acts(ActionRead, ScopeTeam), Classes: lv{crm.ClassIdentity: Read, crm.ClassContact: Read, crm.ClassNotes: Read, crm.ClassSpecial: Read}},
				ObjectSealedNote: {Actions: acts(ActionRead, ScopeAll, ActionCreate, ScopeAll)},
			}},
			{Name: "counselling_admin", Summary: "every client's name and contact details for appointments; no notes or assessments", Grants: map[Object]Grant{
				ObjectCustomer: {Actions: acts(ActionRead, ScopeAll, ActionUpdate, ScopeAll), Classes: lv{crm.ClassIdentity: Read, crm.ClassContact: Write}, Fields: map[string]Level{crm.FieldNationalID: Hidden}},
			}},
		},
	},
	{
		Name: "field_sales", Title: "Field sales (store visits)",
		Purpose: "Store reps work their own stores and visits from a phone; area managers plan their team's visits and deals and see the stores' contacts.",
		Roles: []RoleDef{
			{Name: "store_rep", Summary: "their own stores and store visits: check in and out, notes, photos", Grants: map[Object]Grant{
				ObjectCompany: {Actions: acts(ActionRead, ScopeOwn, ActionUpdate, ScopeOwn), Classes: lv{crm.ClassIdentity: Read, crm.ClassContact: Read, crm.ClassNotes: Write}},
				ObjectVisit:   {Actions: acts(ActionRead, ScopeOwn, ActionCreate, ScopeOwn, ActionUpdate, ScopeOwn), Classes: lv{crm.ClassContact: Write, crm.ClassNotes: Write}},
			}},
			{Name: "area_manager", Summary: "their team's stores, visits and deals; store contacts", Grants: map[Object]Grant{
				ObjectCompany: {Actions: acts(ActionRead, ScopeTeam, ActionUpdate, ScopeTeam, ActionExport, ScopeTeam), Classes: lv{crm.ClassIdentity: Read, crm.ClassContact: Read, crm.ClassNotes: Write}},
				ObjectVisit:   {Actions: acts(ActionRead, ScopeTeam, ActionCreate, ScopeTeam, ActionDelete, ScopeTeam), Classes: lv{crm.ClassContact: Read, crm.ClassNotes: Read}},
				ObjectDeal:    {Actions: acts(ActionRead, ScopeTeam, ActionCreate, ScopeTeam, ActionUpdate, ScopeTeam), Classes: lv{crm.ClassNotes: Write, crm.ClassFinancial: Write}},
			}},
		},
	},
}

// TemplateByName finds a template.
func TemplateByName(name string) (Template, bool) {
	for _, t := range Templates {
		if t.Name == name {
			return t, true
		}
	}
	return Template{}, false
}
