// Package service assembles Strongroom's use cases: one Service holding
// the domain services, each in a package named for what it holds —
// records (customers, companies, activities, deals, visits, purchase
// history, preferences), identity (users, sessions, passwords, second
// factors, passkeys, invitations, lockout) and governance (roles, teams,
// networks, the security policy, approvals, break-glass, access reviews) —
// over one shared core (service/core: transactions and batching, audit
// recording, key access, the clock). Every domain method asks authz, then
// works through the store inside one transaction (core.WithTx, or
// core.Audited for reads), seals and opens fields with the subject's data
// key, and appends the audit event in the same transaction: no audit, no
// data. None of them imports net/http.
package service

import (
	"context"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/keyring"
	"strongroom.dev/strongroom/internal/service/breach"
	"strongroom.dev/strongroom/internal/service/clients"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/service/devices"
	"strongroom.dev/strongroom/internal/service/governance"
	"strongroom.dev/strongroom/internal/service/hooks"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/service/keys"
	"strongroom.dev/strongroom/internal/service/privacy"
	"strongroom.dev/strongroom/internal/service/records"
	"strongroom.dev/strongroom/internal/service/sealed"
	"strongroom.dev/strongroom/internal/service/training"
	"strongroom.dev/strongroom/internal/service/vendors"
	"strongroom.dev/strongroom/internal/store"
)

// Options tune a Service. Zero values take the defaults.
type Options = core.Options

// Service is the use-case layer: the domain services over one shared core.
// It answers itself only what spans them (what a user may open, recording
// refusals, whether mail is configured).
type Service struct {
	core         *core.Core
	Customers    *records.Customers    // people: records, reveal, import, export, preferences, purchase history
	Companies    *records.Companies    // companies and stores
	Activities   *records.Activities   // calls, meetings, notes and tasks on customers and companies
	Deals        *records.Deals        // deals through the pipeline
	Visits       *records.Visits       // store visits
	Users        *identity.Users       // staff accounts, invitations and reset links
	Sessions     *identity.Sessions    // login, sessions, second factors, passkeys, step-up
	Roles        *governance.Roles     // roles, teams, networks, the security policy
	Approvals    *governance.Approvals // approvals, break-glass, access reviews
	AuditLog     *governance.AuditLog  // reading and verifying the audit log
	Backups      *governance.Backups   // backups and restore drills: schedule, history, run now
	Consents     *privacy.Consents     // privacy notices and each person's consent ledger
	Requests     *privacy.Requests     // data-subject requests, deadlines, outcomes, legal holds
	Retention    *privacy.Retention    // retention rules, their dry runs and the daily job
	Minimisation *privacy.Minimisation // the minimisation report: fields filled but never read, templates, what each role sees
	Incidents    *breach.Incidents     // breach response: incidents, scope, notices, decision, tasks, drills
	Vendors      *vendors.Vendors      // the vendors register: agreements, certifications, reviews, findings, reminders
	Training     *training.Training    // staff training: modules, quizzes, attempts, coverage, the training gate
	Clients      *clients.Clients      // OAuth clients of partner systems and the authorisation server's state
	Hooks        *hooks.Hooks          // webhook subscriptions, their secrets and delivery log (hookrun delivers)
	Devices      *devices.Devices      // field devices: enrolment, DPoP-bound tokens, offline leases, lock and wipe
	Keys         *keys.Keys            // the master key: custody, terms, rotation, re-wrapping, retirement, per-subject rotation
	Sealed       *sealed.Notes         // sealed notes: ciphertext and envelopes the server cannot open, seal keys, the recovery key
}

// New builds a Service over db with the master keyring kr, and checks that
// kr is the key this database was created with.
func New(ctx context.Context, db *store.DB, kr *keyring.Keyring, opt Options) (*Service, error) {
	c, err := core.New(ctx, db, kr, opt)
	if err != nil {
		return nil, err
	}
	k := keys.New(c)
	if err := k.Sync(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return &Service{
		core:         c,
		Keys:         k,
		Customers:    records.NewCustomers(c),
		Companies:    records.NewCompanies(c),
		Activities:   records.NewActivities(c),
		Deals:        records.NewDeals(c),
		Visits:       records.NewVisits(c),
		Users:        identity.NewUsers(c),
		Sessions:     identity.NewSessions(c),
		Roles:        governance.NewRoles(c),
		Approvals:    governance.NewApprovals(c),
		AuditLog:     governance.NewAuditLog(c),
		Backups:      governance.NewBackups(c),
		Consents:     privacy.NewConsents(c),
		Requests:     privacy.NewRequests(c),
		Retention:    privacy.NewRetention(c),
		Minimisation: privacy.NewMinimisation(c),
		Incidents:    breach.NewIncidents(c),
		Vendors:      vendors.New(c),
		Training:     training.New(c),
		Clients:      clients.New(c),
		Hooks:        hooks.New(c),
		Devices:      devices.New(c, opt),
		Sealed:       sealed.New(c),
	}, nil
}

// Close stops the committer of audited reads, after the batch in hand.
func (s *Service) Close() { s.core.Close() }

// MailConfigured reports whether emails can be sent.
func (s *Service) MailConfigured() bool { return s.core.MailConfigured() }

// RecordRefusal records a request refused before it reached a service
// method (see core.Refusal).
func (s *Service) RecordRefusal(ctx context.Context, r core.Refusal) error {
	return s.core.RecordRefusal(ctx, r)
}

// Abilities answers what a may open and start.
func (s *Service) Abilities(a authz.Actor) records.Abilities { return records.AbilitiesOf(a) }
