// Package demo fills an empty Strongroom with a small, believable business
// through the service layer (so every record is sealed and audited like
// any other), and gives each demo login a fresh password at every start.
package demo

import (
	"context"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math/big"
	"time"

	"github.com/go-jose/go-jose/v4"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/keyring"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/breach"
	"strongroom.dev/strongroom/internal/service/clients"
	"strongroom.dev/strongroom/internal/service/devices"
	"strongroom.dev/strongroom/internal/service/hooks"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/service/privacy"
	"strongroom.dev/strongroom/internal/service/records"
	"strongroom.dev/strongroom/internal/service/sealed"
	"strongroom.dev/strongroom/internal/service/vendors"
)

// Login is a demo account with its new password.
type Login struct {
	Role, Email, Password string
}

// accounts: one login per role, in two teams. The two sales reps and the
// counsellor own the demo customers.
var accounts = []struct{ role, email, team string }{
	{"admin", "admin@demo.strongroom.test", ""},
	{"manager", "wang.fang@demo.strongroom.test", "east"},
	{"sales", "li.na@demo.strongroom.test", "east"},
	{"sales", "tom.baker@demo.strongroom.test", "west"},
	{"finance", "finance@demo.strongroom.test", ""},
	{"marketing", "marketing@demo.strongroom.test", ""},
	{"support", "support@demo.strongroom.test", "east"},
	{"counsellor", "dr.chen@demo.strongroom.test", "care"},
	// The counselling template's supervisor (defined at the first start):
	// reads the care team's clients and the sealed notes written to her.
	{"clinical_supervisor", "dr.zhou@demo.strongroom.test", "care"},
	{"field_rep", "field.rep@demo.strongroom.test", "east"},
	{"auditor", "auditor@demo.strongroom.test", ""},
	{"privacy_officer", "dpo@demo.strongroom.test", ""},
}

var assessments = []string{
	"Initial assessment: mild anxiety linked to a family business dispute; weekly sessions agreed.",
	"婚姻关系咨询：双方同意每两周一次面谈。",
	"Follow-up: sleep improved; continue monthly check-ins.",
}

var (
	zhSurnames = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭"}
	zhGiven    = []string{"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明"}
	enFirst    = []string{"Alice", "Oliver", "Sophie", "James", "Emma", "Henry", "Grace", "Lucas", "Chloe", "Daniel", "Isla", "Samuel"}
	enLast     = []string{"Smith", "Clarke", "Nguyen", "Patel", "Okafor", "Müller", "Rossi", "Tanaka", "Hughes", "Fischer", "Moreau", "Khan"}
	notes      = []string{
		"Collects Song dynasty ceramics; prefers phone calls in the morning.",
		"Bids by telephone at spring auctions.",
		"对近现代书画感兴趣，偏好微信联系。",
		"Interested in industrial coatings for a new plant.",
		"VIP client; invite to the autumn preview.",
		"门店拜访：每月第一周。",
		"",
	}
)

// Seed creates the demo accounts and customers when the database has no
// demo admin yet; otherwise it sets new passwords for the demo accounts.
// Either way it returns the logins to print.
func Seed(ctx context.Context, svc *service.Service) ([]Login, error) {
	sys := authz.System()
	var logins []Login
	fresh := false
	ids := map[string]string{}
	for _, a := range accounts {
		pw := rand.Text()
		id, err := svc.Users.UserIDByEmail(ctx, sys, a.email)
		switch {
		case errs.Is(err, errs.NotExist):
			if !authz.IsBuiltIn(authz.Role(a.role)) {
				if _, err := svc.Roles.ApplyTemplate(ctx, sys, "counselling_agency"); err != nil {
					return nil, fmt.Errorf("demo: template: %w", err)
				}
			}
			u, err := svc.Users.CreateUser(ctx, sys, identity.NewUser{Email: a.email, Role: a.role, Team: a.team, Password: pw})
			if err != nil {
				return nil, fmt.Errorf("demo: %w", err)
			}
			id, fresh = u.ID, true
		case err != nil:
			return nil, fmt.Errorf("demo: %w", err)
		default:
			if err := svc.Users.SetPassword(ctx, sys, id, pw); err != nil {
				return nil, fmt.Errorf("demo: %w", err)
			}
		}
		ids[a.email] = id
		logins = append(logins, Login{Role: a.role, Email: a.email, Password: pw})
	}
	if !fresh {
		return logins, nil
	}
	// A new database requires two-step login for every role; the demo
	// makes it optional so that its printed logins work at once (an admin
	// can require it again on the administration page).
	if err := svc.Sessions.SetMFARequiredRoles(ctx, sys, nil); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	owners := []string{ids["li.na@demo.strongroom.test"], ids["tom.baker@demo.strongroom.test"], ids["dr.chen@demo.strongroom.test"]}
	companies, stores, err := seedCompanies(ctx, svc, ids)
	if err != nil {
		return nil, err
	}
	// This week's store visits for the field rep.
	for d, store := range stores[:min(len(stores), 10)] {
		day := time.Now().UTC().AddDate(0, 0, d/2).Format(time.DateOnly)
		if _, err := svc.Visits.PlanVisit(ctx, authz.System(), store, ids["field.rep@demo.strongroom.test"], day); err != nil {
			return nil, fmt.Errorf("demo: visit: %w", err)
		}
	}
	var created []string
	for i := range 500 {
		var name, email string
		if i%2 == 0 {
			name = zhSurnames[n(len(zhSurnames))] + zhGiven[n(len(zhGiven))] + zhGiven[n(len(zhGiven))]
			email = fmt.Sprintf("client%03d@example.cn", i)
		} else {
			name = enFirst[n(len(enFirst))] + " " + enLast[n(len(enLast))]
			email = fmt.Sprintf("client%03d@example.com", i)
		}
		phone := fmt.Sprintf("+86 13%d %04d %04d", n(10), n(10000), n(10000))
		fields := map[string]*string{
			crm.FieldName:  &name,
			crm.FieldEmail: &email,
			crm.FieldPhone: &phone,
		}
		if note := notes[n(len(notes))]; note != "" {
			fields[crm.FieldNotes] = &note
		}
		if i%3 == 0 {
			// Beijing, Shanghai, Hangzhou or Guangzhou; born 1950–2004.
			region := []string{"110101", "310104", "330106", "440106"}[n(4)]
			id := fmt.Sprintf("%s%04d%02d%02d%04d", region, 1950+n(55), 1+n(12), 1+n(28), n(10000))
			fields[crm.FieldNationalID] = &id
		}
		owner := owners[i%len(owners)]
		in := crm.CustomerInput{Fields: fields, OwnerID: &owner}
		if owner == ids["dr.chen@demo.strongroom.test"] {
			a := assessments[n(len(assessments))]
			fields[crm.FieldAssessment] = &a
			// The client's separate consent to sensitive processing, signed
			// at intake (PIPL Art. 29); every fifth is a minor's, by a parent.
			in.SensitiveConsent = &crm.ConsentInput{Channel: "paper", Note: "signed intake form"}
			if i%5 == 0 {
				in.SensitiveConsent.Minor, in.SensitiveConsent.GuardianName = true, "parent at intake"
			}
		} else if i%4 != 0 {
			company := companies[n(len(companies))]
			in.CompanyID = &company
		}
		c, err := svc.Customers.CreateCustomer(ctx, sys, in)
		if err != nil {
			return nil, fmt.Errorf("demo: customer %d: %w", i, err)
		}
		created = append(created, c.ID)
		if i%25 == 3 { // a move: the change history shows the old phone
			phone := fmt.Sprintf("+86 13%d %04d %04d", n(10), n(10000), n(10000))
			if _, err := svc.Customers.UpdateCustomer(ctx, sys, c.ID, crm.CustomerInput{Fields: map[string]*string{crm.FieldPhone: &phone}}); err != nil {
				return nil, fmt.Errorf("demo: customer %d: %w", i, err)
			}
		}
		if i%5 == 0 {
			if err := seedActivities(ctx, svc, c.ID, i); err != nil {
				return nil, err
			}
		}
		if i%4 == 1 {
			if err := seedDeal(ctx, svc, c.ID); err != nil {
				return nil, err
			}
		}
		if i%3 == 1 {
			if err := seedPurchase(ctx, svc, c.ID, i); err != nil {
				return nil, err
			}
		}
		if i%6 == 2 {
			if err := seedFeedback(ctx, svc, c.ID); err != nil {
				return nil, err
			}
		}
	}
	if err := seedRequests(ctx, svc, created); err != nil {
		return nil, err
	}
	if err := seedRetention(ctx, svc); err != nil {
		return nil, err
	}
	if err := seedVendors(ctx, svc); err != nil {
		return nil, err
	}
	if err := seedIntegrations(ctx, svc); err != nil {
		return nil, err
	}
	if err := seedDevices(ctx, svc, logins); err != nil {
		return nil, err
	}
	if err := seedDrill(ctx, svc, ids, logins); err != nil {
		return nil, err
	}
	if err := seedSealed(ctx, svc, logins, created[2]); err != nil { // client 2 is dr.chen's
		return nil, err
	}
	seedStuffing(ctx, svc)
	return logins, nil
}

// seedIntegrations registers the partner systems of issue 15: a payment
// firm's settlement service as an OAuth client (client credentials,
// finance's grants, its own network and rate), and a logistics partner's
// webhook for new customers and store check-ins, as marketing sees them.
// The webhook starts paused: its demo destination does not exist, and an
// administrator resumes it once a real one is entered. Secrets are shown
// once and dropped here, as an administrator who lost them would
// (a client is registered again; a webhook's secret is rotated).
func seedIntegrations(ctx context.Context, svc *service.Service) error {
	sys := authz.System()
	if _, err := svc.Clients.Register(ctx, sys, clients.Input{
		Name: "PayLink settlement (payments partner)", Role: "finance",
		Networks: []string{"203.0.113.0/24"}, RatePerMinute: 120, TokenSeconds: 600,
	}); err != nil {
		return fmt.Errorf("demo: OAuth client: %w", err)
	}
	paused := true
	if _, err := svc.Hooks.Create(ctx, sys, hooks.Input{
		Name: "RouteNet logistics: new customers and store check-ins",
		URL:  "https://hooks.routenet-logistics.example/strongroom", Role: "marketing",
		Events: []string{hooks.CustomerCreated, hooks.VisitCheckedIn}, Paused: &paused,
	}); err != nil {
		return fmt.Errorf("demo: webhook: %w", err)
	}
	return nil
}

// seedDevices enrols the field rep's two devices the way the field app
// does (a login session, then a DPoP proof signed by the device's own
// P-256 key): the phone in use, and an old tablet reported lost whose wipe
// has been ordered and awaits its next contact. The private keys are
// dropped, so neither device can ever call in: the devices page shows the
// states, and the tablet's unconfirmed wipe escalates to the security page
// after --wipe-escalate.
func seedDevices(ctx context.Context, svc *service.Service, logins []Login) error {
	client := identity.Client{IP: "198.51.100.61", UserAgent: "Mozilla/5.0 (Linux; Android 15; Pixel 8) demo phone"}
	rep, err := loginAs(ctx, svc, logins, "field.rep@demo.strongroom.test", client)
	if err != nil {
		return fmt.Errorf("demo: devices: %w", err)
	}
	for i, in := range []devices.Input{
		{Name: "Field phone (Pixel 8)", Platform: "Android 15", AppVersion: "1.0.0"},
		{Name: "Old tablet (iPad, reported lost)", Platform: "iPadOS 17", AppVersion: "1.0.0"},
	} {
		proof, err := demoProof("https://strongroom.demo/api/v1/devices")
		if err != nil {
			return fmt.Errorf("demo: devices: %w", err)
		}
		p, err := svc.Devices.Proof(proof, "POST", "https://strongroom.demo/api/v1/devices", "")
		if err != nil {
			return fmt.Errorf("demo: devices: %w", err)
		}
		e, err := svc.Devices.Enrol(ctx, rep, in, p)
		if err != nil {
			return fmt.Errorf("demo: devices: %w", err)
		}
		if i == 1 {
			if _, err := svc.Devices.Wipe(ctx, rep, e.Device.ID, "left in a taxi; reported by the rep"); err != nil {
				return fmt.Errorf("demo: devices: %w", err)
			}
		}
	}
	return nil
}

// demoProof is a DPoP proof (RFC 9449) for an enrolment at target, signed
// by a new P-256 key that is then forgotten.
func demoProof(target string) (string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, &jose.SignerOptions{
		EmbedJWK: true, ExtraHeaders: map[jose.HeaderKey]any{jose.HeaderType: "dpop+jwt"}})
	if err != nil {
		return "", err
	}
	claims, err := json.Marshal(map[string]any{"htm": "POST", "htu": target, "iat": time.Now().Unix(), "jti": rand.Text()})
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(claims)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

// seedRequests puts the privacy centre to work: a client asks for a copy
// of their data (GDPR), another to be erased while a payment firm must
// keep their purchases (PIPL, under a legal hold; the erasure awaits a
// second handler's approval), both assigned to the privacy officer, and a
// third restricts the use of their data while a correction is checked.
func seedRequests(ctx context.Context, svc *service.Service, customers []string) error {
	if len(customers) < 9 {
		return nil
	}
	sys := authz.System()
	access, err := svc.Requests.TakeRequest(ctx, sys, customers[2], crm.RequestInput{Kind: "access", Law: "gdpr", Details: "Please send me a copy of everything you hold about me."})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	erase, err := svc.Requests.TakeRequest(ctx, sys, customers[4], crm.RequestInput{Kind: "erasure", Law: "pipl", Details: "请删除我的全部个人信息。"})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	// The privacy officer handles both; the erasure waits for a second
	// handler's approval.
	handlers, err := svc.Requests.Handlers(ctx, sys)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	for _, h := range handlers {
		if h.Email != "dpo@demo.strongroom.test" {
			continue
		}
		for _, id := range []string{access.ID, erase.ID} {
			if _, err := svc.Requests.Assign(ctx, sys, id, h.ID); err != nil {
				return fmt.Errorf("demo: %w", err)
			}
		}
	}
	if _, err := svc.Requests.AskApproval(ctx, sys, erase.ID); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if err := svc.Requests.PlaceHold(ctx, sys, customers[4], "transactions", "payment records kept 5 years (anti-money-laundering)", time.Now().AddDate(5, 0, 0)); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	r, err := svc.Requests.TakeRequest(ctx, sys, customers[8], crm.RequestInput{Kind: "restriction", Law: "gdpr", Details: "My phone number is wrong; do not use my data until it is fixed."})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if _, err := svc.Requests.Restrict(ctx, sys, r.ID); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	return nil
}

// seedDrill runs a breach drill through to the end, so the breach page
// shows the workflow: Tom Baker's laptop is "lost" with his session open,
// in which he had opened his customer list. The scope comes from the audit
// log; the decision is no notice to people (the disk is encrypted and the
// key not taken, GDPR Art. 34(3)(a)) and none to the authority (locked
// within minutes); the tasks are done and the drill closed.
func seedDrill(ctx context.Context, svc *service.Service, ids map[string]string, logins []Login) error {
	client := identity.Client{IP: "198.51.100.23", UserAgent: "Mozilla/5.0 (Windows NT 10.0) demo laptop"}
	from := time.Now().UTC().Add(-time.Minute)
	tom, err := loginAs(ctx, svc, logins, "tom.baker@demo.strongroom.test", client)
	if err != nil {
		return fmt.Errorf("demo: drill: %w", err)
	}
	if _, err := svc.Customers.ListCustomers(ctx, tom, records.CustomerQuery{Limit: 20}); err != nil {
		return fmt.Errorf("demo: drill: %w", err)
	}
	now := time.Now().UTC()
	sys, admin := authz.System(), ids["admin@demo.strongroom.test"]
	inc, err := svc.Incidents.Open(ctx, sys, breach.Input{Title: "Drill: sales laptop left in a taxi", Kind: "device", Drill: true,
		Description:  "Simulated: a sales rep reports his laptop lost in a taxi, with a session open in the browser. Its disk is encrypted (BitLocker) and the laptop was locked.",
		DiscoveredAt: now, WindowFrom: from, WindowTo: now.Add(time.Second), ActorID: tom.UserID, SessionID: tom.SessionID})
	if err != nil {
		return fmt.Errorf("demo: drill: %w", err)
	}
	steps := []func() error{
		func() error { _, err := svc.Incidents.Scope(ctx, sys, inc.ID); return err },
		func() error {
			_, err := svc.Incidents.Decide(ctx, sys, inc.ID, breach.DecisionInput{NotifyAuthority: false, PeopleReason: "art34_3a",
				AuthorityReason: "the disk is encrypted, the laptop was locked and its session ended within 15 minutes: no risk to the people is likely",
				Note:            "drill: the team found the scope in the audit log in 6 minutes"})
			return err
		},
	}
	var tasks []string
	for _, title := range []string{"End the rep's sessions and reset his password", "Check the audit log for any other use of the session"} {
		steps = append(steps, func() error {
			t, err := svc.Incidents.AddTask(ctx, sys, inc.ID, title, admin)
			tasks = append(tasks, t.ID)
			return err
		})
	}
	steps = append(steps,
		func() error {
			_, err := svc.Incidents.Advance(ctx, sys, inc.ID, "contained", "sessions ended, password reset")
			return err
		},
		func() error {
			for _, id := range tasks {
				if err := svc.Incidents.FinishTask(ctx, sys, inc.ID, id); err != nil {
					return err
				}
			}
			return nil
		},
		func() error {
			_, err := svc.Incidents.Advance(ctx, sys, inc.ID, "closed", "drill reviewed with the sales team")
			return err
		},
	)
	for _, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("demo: drill: %w", err)
		}
	}
	return nil
}

// seedRetention sets the retention rules a counselling agency or an
// auction house would start with: inactive customers erased after three
// years and visit photos deleted after a year, each switched on after its
// dry run, and activities kept for five years, set but not yet on.
func seedRetention(ctx context.Context, svc *service.Service) error {
	sys := authz.System()
	for _, r := range []privacy.RetentionRuleInput{
		{Target: "inactive_customers", AfterDays: 3 * 365, Note: "three years after the last contact (PIPL Art. 19; our retention policy §4)"},
		{Target: "visit_photos", AfterDays: 365, Note: "shelf photos are needed for one season"},
		{Target: "activities", AfterDays: 5 * 365, Note: "call notes: five years"},
	} {
		if _, err := svc.Retention.SetRule(ctx, sys, r); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		if r.Target == "activities" {
			continue
		}
		if _, err := svc.Retention.DryRun(ctx, sys, r.Target); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		r.Enabled = true
		if _, err := svc.Retention.SetRule(ctx, sys, r); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	return nil
}

// seedVendors fills the vendors register: a payment processor whose
// review is overdue with a finding still open, a logistics partner whose
// certification expires within the month, and the mail relay when mail is
// configured. It assigns the built-in training module to the roles that
// serve customers — not as required, so that the printed logins reach
// their work at once (an administrator can require it on /training/coverage).
func seedVendors(ctx context.Context, svc *service.Service) error {
	sys := authz.System()
	day := func(d int) string { return time.Now().UTC().AddDate(0, 0, d).Format(time.DateOnly) }
	pay, err := svc.Vendors.Create(ctx, sys, vendors.Input{Name: "Harbour Payments Ltd", Role: "processor",
		Purpose: "Card and wallet payments for auction lots and shop orders; refunds.", DataCategories: []string{"name", "order amount", "payment token"},
		Locations: []string{"CN", "HK"}, Transfer: "pipl_contract", AgreementRef: "HP-DPA-2024-11", AgreementSigned: day(-420), DPA: true,
		Certifications: []vendors.Certification{{Name: "PCI DSS", Expires: day(200)}, {Name: "ISO 27001", Expires: day(500)}},
		Links:          []string{"webhook:payments"}, NextReview: day(-20)})
	if err != nil {
		return fmt.Errorf("demo: vendor: %w", err)
	}
	rev, err := svc.Vendors.RecordReview(ctx, sys, pay.ID, vendors.ReviewInput{Date: day(-385), Reviewer: "Dr. Chen (privacy lead)", Outcome: "findings",
		Notes: "Sub-processors in Hong Kong not listed in the agreement."})
	if err != nil {
		return fmt.Errorf("demo: vendor: %w", err)
	}
	if _, err := svc.Vendors.RaiseFinding(ctx, sys, pay.ID, vendors.FindingInput{ReviewID: rev.ID, Text: "List the Hong Kong sub-processors in an annex to the agreement.",
		Severity: "medium", Owner: "Harbour Payments legal", Due: day(-30)}); err != nil {
		return fmt.Errorf("demo: vendor: %w", err)
	}
	if _, err := svc.Vendors.Create(ctx, sys, vendors.Input{Name: "SwiftRoute Logistics", Role: "processor",
		Purpose: "Deliveries of purchased lots to customers.", DataCategories: []string{"name", "delivery address", "phone"}, Locations: []string{"CN"},
		AgreementRef: "SR-2025-02", AgreementSigned: day(-300), DPA: true, Certifications: []vendors.Certification{{Name: "ISO 27001", Expires: day(20)}},
		NextReview: day(160)}); err != nil {
		return fmt.Errorf("demo: vendor: %w", err)
	}
	if svc.MailConfigured() {
		if _, err := svc.Vendors.Create(ctx, sys, vendors.Input{Name: "E-mail relay (SMTP)", Role: "processor",
			Purpose: "Delivers Strongroom's e-mail: invitations, reset links, alerts, privacy-request confirmations.", DataCategories: []string{"staff e-mail address", "requester e-mail address"},
			Locations: []string{"CN"}, Links: []string{"mail:relay"}, NextReview: day(90)}); err != nil {
			return fmt.Errorf("demo: vendor: %w", err)
		}
	}
	if _, err := svc.Training.Assign(ctx, sys, "customer-data", []string{"sales", "support", "field_rep", "counsellor"}, false); err != nil {
		return fmt.Errorf("demo: training: %w", err)
	}
	return nil
}

// seedStuffing tries leaked passwords on accounts from one network, as a
// credential-stuffing run would, so that the detectors raise an alert on
// the security page at the first start. Each account is tried once: no
// demo login is locked.
func seedStuffing(ctx context.Context, svc *service.Service) {
	for i, email := range []string{"li.na@demo.strongroom.test", "ceo@example.com", "finance@demo.strongroom.test", "old.admin@example.com", "tom.baker@demo.strongroom.test", "info@example.com", "hr@example.com", "sales@example.com"} {
		svc.Sessions.Login(ctx, email, "Summer2026!", identity.Client{IP: fmt.Sprintf("203.0.113.%d", 40+i), UserAgent: "python-requests/2.32"})
	}
}

var (
	companyNames = []string{"瑞丰拍卖", "Golden Lotus Auctions", "华彩涂料", "Apex Coatings", "安信支付", "Harbour Payments", "心语咨询", "Evergreen Counselling", "东方艺术品", "Northwind Trading"}
	districts    = []string{"静安区南京西路", "徐汇区淮海中路", "浦东新区世纪大道", "朝阳区建国路", "天河区天河路", "南山区深南大道"}
	subjects     = []string{"Called about the spring preview", "电话回访：确认收到图录", "Meeting at the showroom", "Sent the condition report", "讨论付款方式", "Follow up on the quote"}
)

// seedCompanies makes 80 companies, 20 of them stores assigned to the
// field rep, and returns the ids of all and of the stores.
func seedCompanies(ctx context.Context, svc *service.Service, ids map[string]string) (all, stores []string, err error) {
	rep := ids["field.rep@demo.strongroom.test"]
	for i := range 80 {
		name := fmt.Sprintf("%s %d", companyNames[i%len(companyNames)], i/len(companyNames)+1)
		address := fmt.Sprintf("上海市%s%d号", districts[n(len(districts))], 1+n(999))
		phone := fmt.Sprintf("+86 21 %04d %04d", n(10000), n(10000))
		store := i%4 == 0
		in := crm.CompanyInput{Fields: map[string]*string{crm.CompanyName: &name, crm.CompanyAddress: &address, crm.CompanyPhone: &phone}, IsStore: &store}
		owner := ids["li.na@demo.strongroom.test"]
		if i%2 == 1 {
			owner = ids["tom.baker@demo.strongroom.test"]
		}
		if store {
			owner = rep
		}
		in.OwnerID = &owner
		c, err := svc.Companies.CreateCompany(ctx, authz.System(), in)
		if err != nil {
			return nil, nil, fmt.Errorf("demo: company %d: %w", i, err)
		}
		all = append(all, c.ID)
		if store {
			stores = append(stores, c.ID)
		}
	}
	return all, stores, nil
}

var (
	lots   = []string{"Song dynasty celadon bowl", "清代青花瓷瓶", "Industrial floor coating, 2 t", "支付网关年度合同", "Ming scroll painting", "Autumn sale consignment"}
	stages = []string{"lead", "qualified", "proposal", "negotiation", "won", "lost"}
)

// seedDeal opens a deal at a random stage, held by the customer's owner.
func seedDeal(ctx context.Context, svc *service.Service, customerID string) error {
	title, currency := lots[n(len(lots))], "CNY"
	amount := int64(10_000+n(2_000_000)) * 100
	stage := stages[n(len(stages))]
	if _, err := svc.Deals.CreateDeal(ctx, authz.System(), customerID, crm.DealInput{Title: &title, Amount: &amount, Currency: &currency, Stage: &stage}); err != nil {
		return fmt.Errorf("demo: deal: %w", err)
	}
	return nil
}

// seedPurchase records an auction lot won, its payment, or an order.
func seedPurchase(ctx context.Context, svc *service.Service, customerID string, i int) error {
	day := time.Now().UTC().AddDate(0, 0, -n(90)).Format(time.DateOnly)
	hammer := int64(5_000+n(500_000)) * 100
	t := crm.Transaction{Kind: crm.TxLot, Currency: "CNY", OccurredOn: day, Reference: fmt.Sprintf("Lot %d", 100+n(400)), Description: lots[n(len(lots))], Amount: hammer, Premium: hammer / 5}
	if i%2 == 0 {
		t = crm.Transaction{Kind: crm.TxOrder, Currency: "CNY", OccurredOn: day, Reference: fmt.Sprintf("SO-%06d", i), Description: "Coating order", Amount: int64(1_000+n(90_000)) * 100}
	}
	if _, err := svc.Customers.RecordTransaction(ctx, authz.System(), customerID, t); err != nil {
		return fmt.Errorf("demo: purchase: %w", err)
	}
	return nil
}

var (
	interests = []string{"Ceramics", "瓷器", "Ink painting", "书画", "Jade", "Industrial coatings", "Wine"}
	comments  = []string{"Lovely preview evening.", "拍卖流程很顺畅。", "Delivery was late.", "工作人员很专业。", ""}
)

// seedFeedback sets channel preferences and records a rating or two.
func seedFeedback(ctx context.Context, svc *service.Service, customerID string) error {
	opt := []string{crm.Channels[n(len(crm.Channels))]}
	if n(2) == 0 {
		opt = append(opt, "email")
	}
	p := crm.Preferences{OptIn: opt, Interests: []string{interests[n(len(interests))], interests[n(len(interests))]}}
	if err := svc.Customers.SetPreferences(ctx, authz.System(), customerID, p); err != nil {
		return fmt.Errorf("demo: preferences: %w", err)
	}
	for range 1 + n(2) {
		if _, err := svc.Customers.AddFeedback(ctx, authz.System(), customerID, crm.Feedback{Channel: "survey", Rating: 3 + n(3), Comment: comments[n(len(comments))]}); err != nil {
			return fmt.Errorf("demo: feedback: %w", err)
		}
	}
	return nil
}

// seedActivities logs a season's calls and meetings, and an open task.
func seedActivities(ctx context.Context, svc *service.Service, customerID string, i int) error {
	for j := range 2 + n(3) {
		kind := crm.ActivityKinds[j%2]
		if _, err := svc.Activities.LogActivity(ctx, authz.System(), customerID, crm.ActivityInput{Kind: kind, Subject: subjects[n(len(subjects))]}); err != nil {
			return fmt.Errorf("demo: activity: %w", err)
		}
	}
	if i%10 == 0 {
		due := time.Now().UTC().Truncate(24 * time.Hour).Add(time.Duration(n(14)) * 24 * time.Hour)
		if _, err := svc.Activities.LogActivity(ctx, authz.System(), customerID, crm.ActivityInput{Kind: crm.KindTask, Subject: "Send the autumn catalogue", DueAt: &due}); err != nil {
			return fmt.Errorf("demo: task: %w", err)
		}
	}
	return nil
}

func n(max int) int {
	v, _ := rand.Int(rand.Reader, big.NewInt(int64(max)))
	return int(v.Int64())
}

// SealedPassphrase is the demo's passphrase of every sealed-notes key
// (dr.chen's and dr.zhou's): type it on a client's page to unlock.
const SealedPassphrase = "strongroom demo sealed notes"

// seedSealed shows sealed notes: the counsellor and the clinical
// supervisor get seal keys wrapped under SealedPassphrase (made here by
// the Go implementation of the browser's formats), the organisation a
// recovery key, and the counsellor writes one note on client to the
// supervisor. The recovery key's private half is made and dropped: a real
// organisation makes its own offline with keys recovery-init.
func seedSealed(ctx context.Context, svc *service.Service, logins []Login, client string) error {
	actors := map[string]authz.Actor{}
	keys := map[string]*ecdh.PrivateKey{}
	for _, email := range []string{"dr.chen@demo.strongroom.test", "dr.zhou@demo.strongroom.test"} {
		a, err := loginAs(ctx, svc, logins, email, identity.Client{IP: "198.51.100.62", UserAgent: "demo"})
		if err != nil {
			return fmt.Errorf("demo: sealed: %w", err)
		}
		priv, err := keyring.NewSealKey()
		if err != nil {
			return err
		}
		w, err := keyring.WrapSealKey(priv, SealedPassphrase, a.UserID)
		if err != nil {
			return err
		}
		if err := svc.Sealed.SetMyKey(ctx, a, sealed.SealKey{PublicKey: priv.PublicKey().Bytes(), PrivateCT: w.PrivateCT, PrivateNonce: w.Nonce,
			KDF: keyring.SealKDF, KDFSalt: w.Salt, KDFIterations: w.Iterations}); err != nil {
			return fmt.Errorf("demo: sealed: %w", err)
		}
		actors[email], keys[email] = a, priv
	}
	recovery, err := keyring.NewSealKey()
	if err != nil {
		return err
	}
	if err := svc.Sealed.SetRecoveryKey(ctx, authz.System(), recovery.PublicKey().Bytes()); err != nil {
		return fmt.Errorf("demo: sealed: %w", err)
	}
	chen, zhou := actors["dr.chen@demo.strongroom.test"], actors["dr.zhou@demo.strongroom.test"]
	id := crm.NewID("snt")
	noteKey := keyring.NewNoteKey()
	ct, nonce, err := keyring.SealNote(noteKey, id, []byte("Supervision: the client disclosed a conflict at home and asked that it stay out of the shared record. "+
		"督导记录：来访者提到家庭矛盾，希望不写入共享记录。Discuss at Thursday's case review."))
	if err != nil {
		return err
	}
	in := sealed.NewNote{ID: id, Sealed: sealed.Sealed{Ciphertext: ct, Nonce: nonce, Envelopes: map[string][]byte{}}}
	for rid, pub := range map[string][]byte{chen.UserID: keys["dr.chen@demo.strongroom.test"].PublicKey().Bytes(),
		zhou.UserID: keys["dr.zhou@demo.strongroom.test"].PublicKey().Bytes(), sealed.Recovery: recovery.PublicKey().Bytes()} {
		if in.Envelopes[rid], err = keyring.SealEnvelope(noteKey, pub, id, rid); err != nil {
			return err
		}
	}
	if _, err := svc.Sealed.Create(ctx, chen, client, in); err != nil {
		return fmt.Errorf("demo: sealed: %w", err)
	}
	return nil
}

// loginAs logs in as a demo account (its password from logins) from client,
// as its user would, and returns the session's actor.
func loginAs(ctx context.Context, svc *service.Service, logins []Login, email string, client identity.Client) (authz.Actor, error) {
	var pw string
	for _, l := range logins {
		if l.Email == email {
			pw = l.Password
		}
	}
	sess, err := svc.Sessions.Login(ctx, email, pw, client)
	if err != nil {
		return authz.Actor{}, err
	}
	return svc.Sessions.Authenticate(ctx, sess.Token, client)
}
