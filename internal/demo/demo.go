// Package demo fills an empty Strongroom with a small, believable business
// through the service layer (so every record is sealed and audited like
// any other), and gives each demo login a fresh password at every start.
package demo

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service"
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
	{"field_rep", "field.rep@demo.strongroom.test", "east"},
	{"auditor", "auditor@demo.strongroom.test", ""},
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
		id, err := svc.UserIDByEmail(ctx, sys, a.email)
		switch {
		case errs.Is(err, errs.NotExist):
			u, err := svc.CreateUser(ctx, sys, service.NewUser{Email: a.email, Role: a.role, Team: a.team, Password: pw})
			if err != nil {
				return nil, fmt.Errorf("demo: %w", err)
			}
			id, fresh = u.ID, true
		case err != nil:
			return nil, fmt.Errorf("demo: %w", err)
		default:
			if err := svc.SetPassword(ctx, sys, id, pw); err != nil {
				return nil, fmt.Errorf("demo: %w", err)
			}
		}
		ids[a.email] = id
		logins = append(logins, Login{Role: a.role, Email: a.email, Password: pw})
	}
	if !fresh {
		return logins, nil
	}
	owners := []string{ids["li.na@demo.strongroom.test"], ids["tom.baker@demo.strongroom.test"], ids["dr.chen@demo.strongroom.test"]}
	for i := range 60 {
		var name, email string
		if i%2 == 0 {
			name = zhSurnames[n(len(zhSurnames))] + zhGiven[n(len(zhGiven))] + zhGiven[n(len(zhGiven))]
			email = fmt.Sprintf("client%03d@example.cn", i)
		} else {
			first, last := enFirst[n(len(enFirst))], enLast[n(len(enLast))]
			name = first + " " + last
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
			id := fmt.Sprintf("1101011980%02d%02d%04d", 1+n(12), 1+n(28), n(10000))
			fields[crm.FieldNationalID] = &id
		}
		owner := owners[i%len(owners)]
		if owner == ids["dr.chen@demo.strongroom.test"] {
			a := assessments[n(len(assessments))]
			fields[crm.FieldAssessment] = &a
		}
		if _, err := svc.CreateCustomer(ctx, sys, crm.CustomerInput{Fields: fields, OwnerID: &owner}); err != nil {
			return nil, fmt.Errorf("demo: customer %d: %w", i, err)
		}
	}
	return logins, nil
}

func n(max int) int {
	v, _ := rand.Int(rand.Reader, big.NewInt(int64(max)))
	return int(v.Int64())
}
