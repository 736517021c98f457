// Package web is Strongroom's server-rendered user interface: html/template
// pages with embedded assets, in English and Simplified Chinese, under a
// strict Content-Security-Policy (no inline script; only the passkey and
// visit check-in pages load Strongroom's own script files).
//
// Handlers parse forms, call the service with the Actor and render what it
// returns; they never read the database. What a user may see and do on a
// page — the sections in the navigation, a list's buttons, a record's
// controls and form fields — is the service's answer (records.Abilities,
// records.Can), never the handler's own: web calls no authz decision, and
// a test in internal/fence keeps it so.
package web

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/phrase"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/breach"
	"strongroom.dev/strongroom/internal/service/clients"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/service/governance"
	"strongroom.dev/strongroom/internal/service/hooks"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/service/privacy"
	"strongroom.dev/strongroom/internal/service/records"
	"strongroom.dev/strongroom/internal/service/training"
	"strongroom.dev/strongroom/internal/service/vendors"
	"strongroom.dev/strongroom/internal/zone"
)

//go:embed templates static
var files embed.FS

// SessionCookie is shared with the API: one login serves both.
const SessionCookie = httpx.SessionCookie

const (
	csrfCookie = "__Host-strongroom-csrf" // double-submit token for the login form
	csrfField  = "csrf"
	maxForm    = 64 << 10
)

var pageCSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// Handler serves the UI: the one list of routes, sessions, CSRF, rendering
// and the error page. The pages are on one struct per area, each naming the
// domain services it calls beside the shared Handler.
type Handler struct {
	svc   *service.Service // authentication, abilities, recording refusals, and the helpers shared by several areas
	log   *slog.Logger
	pages map[string]*template.Template

	customers    *customersPages
	companies    *companiesPages
	deals        *dealsPages
	visits       *visitsPages
	identity     *identityPages
	admin        *adminPages
	approvals    *approvalsPages
	audit        *auditPages
	backups      *backupsPages
	consents     *consentsPages
	requests     *requestsPages
	retention    *retentionPages
	minimisation *minimisationPages
	incidents    *incidentsPages
	vendors      *vendorsPages
	clients      *clientsPages
	webhooks     *webhooksPages
	devices      *devicesPages
	keys         *keysPages
	training     *trainingPages
	home         *homePages
	sso          *ssoPages // nil: single sign-on is off
}

// The areas of the UI and the domain services each calls.
type (
	customersPages struct {
		*Handler
		customersSvc  *records.Customers
		companiesSvc  *records.Companies
		activitiesSvc *records.Activities
	}
	companiesPages struct {
		*Handler
		companiesSvc  *records.Companies
		activitiesSvc *records.Activities
	}
	dealsPages struct {
		*Handler
		dealsSvc *records.Deals
	}
	visitsPages struct {
		*Handler
		visitsSvc    *records.Visits
		companiesSvc *records.Companies
	}
	identityPages struct {
		*Handler
		sessionsSvc *identity.Sessions
		usersSvc    *identity.Users
	}
	adminPages struct {
		*Handler
		usersSvc     *identity.Users
		sessionsSvc  *identity.Sessions
		rolesSvc     *governance.Roles
		approvalsSvc *governance.Approvals
		dealsSvc     *records.Deals
	}
	approvalsPages struct {
		*Handler
		approvalsSvc *governance.Approvals
	}
	auditPages struct {
		*Handler
		auditSvc     *governance.AuditLog
		customersSvc *records.Customers
		rolesSvc     *governance.Roles
	}
	backupsPages struct {
		*Handler
		backupsSvc *governance.Backups
	}
	consentsPages struct {
		*Handler
		consentsSvc *privacy.Consents
	}
	requestsPages struct {
		*Handler
		requestsSvc  *privacy.Requests
		customersSvc *records.Customers
	}
	retentionPages struct {
		*Handler
		retentionSvc *privacy.Retention
	}
	minimisationPages struct {
		*Handler
		minimisationSvc *privacy.Minimisation
	}
	incidentsPages struct {
		*Handler
		incidentsSvc *breach.Incidents
	}
	vendorsPages struct {
		*Handler
		vendorsSvc *vendors.Vendors
	}
	webhooksPages struct {
		*Handler
		hooksSvc *hooks.Hooks
	}
	trainingPages struct {
		*Handler
		trainingSvc *training.Training
	}
	clientsPages struct {
		*Handler
		clientsSvc *clients.Clients
	}
	homePages struct {
		*Handler
		customersSvc  *records.Customers
		companiesSvc  *records.Companies
		sessionsSvc   *identity.Sessions
		activitiesSvc *records.Activities
		dealsSvc      *records.Deals
		visitsSvc     *records.Visits
	}
)

// New parses the templates and returns the UI handler.
func New(svc *service.Service, log *slog.Logger) *Handler {
	h := &Handler{svc: svc, log: log, pages: parsePages()}
	h.customers = &customersPages{h, svc.Customers, svc.Companies, svc.Activities}
	h.companies = &companiesPages{h, svc.Companies, svc.Activities}
	h.deals = &dealsPages{h, svc.Deals}
	h.visits = &visitsPages{h, svc.Visits, svc.Companies}
	h.identity = &identityPages{h, svc.Sessions, svc.Users}
	h.admin = &adminPages{h, svc.Users, svc.Sessions, svc.Roles, svc.Approvals, svc.Deals}
	h.approvals = &approvalsPages{h, svc.Approvals}
	h.audit = &auditPages{h, svc.AuditLog, svc.Customers, svc.Roles}
	h.backups = &backupsPages{h, svc.Backups}
	h.consents = &consentsPages{h, svc.Consents}
	h.requests = &requestsPages{h, svc.Requests, svc.Customers}
	h.retention = &retentionPages{h, svc.Retention}
	h.minimisation = &minimisationPages{h, svc.Minimisation}
	h.incidents = &incidentsPages{h, svc.Incidents}
	h.vendors = &vendorsPages{h, svc.Vendors}
	h.webhooks = &webhooksPages{h, svc.Hooks}
	h.training = &trainingPages{h, svc.Training}
	h.clients = &clientsPages{h, svc.Clients}
	h.devices = &devicesPages{h, svc.Devices}
	h.keys = &keysPages{h, svc.Keys}
	h.home = &homePages{h, svc.Customers, svc.Companies, svc.Sessions, svc.Activities, svc.Deals, svc.Visits}
	return h
}

var funcs = template.FuncMap{
	"tr":   tr,
	"term": term,
	// roles: a user's roles (comma-separated) or one role, named in lang.
	"roles": func(lang string, roles any) string { return roleNames(lang, fmt.Sprint(roles)) },
	// plural: "1 deal", "3 deals", "3 个商机".
	"plural": plural,
	"say":    phrase.In, // a server's message (a built-in role's summary, say) in lang
	"list":   func(v ...any) []any { return v },
	"time":   formatTime,
	"date":   formatDate,
	// instant is an instant for machines (a <time datetime>): RFC 3339 in UTC.
	"instant":  func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) },
	"money":    formatMoney,
	"ptr64":    func(v int64) *int64 { return &v },
	"contains": strings.Contains,
	"contact":  contactHref, // tel: and mailto: links for what the viewer sees in full
	// dec: the audit page's "after" that starts a page at event seq.
	"dec": func(seq int64) int64 { return seq - 1 },
	// hasRole: whether stored roles (comma-separated) include r.
	"hasRole": func(roles string, r authz.Role) bool { return authz.HasRole(roles, r) },
	// rows passes a list of access requests to the access_rows template.
	"rows": func(lang string, clock zone.Clock, csrf string, items []governance.AccessRequest) map[string]any {
		return map[string]any{"Lang": lang, "Clock": clock, "CSRF": csrf, "Items": items}
	},
}

func parsePages() map[string]*template.Template {
	names, err := fs.Glob(files, "templates/page_*.html")
	if err != nil || len(names) == 0 {
		panic("web: no page templates")
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		t := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/passkey_get.html", n))
		out[n[len("templates/page_"):len(n)-len(".html")]] = t
	}
	return out
}

// Mux is where routes are registered; *http.ServeMux is one.
type Mux interface {
	Handle(pattern string, handler http.Handler)
}

// Routes registers the UI's routes on mux.
func (h *Handler) Routes(mux Mux) {
	static, _ := fs.Sub(files, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", cacheStatic(http.FileServerFS(filesOnly{static}))))
	// Browsers ask for /favicon.ico on their own (for pages that name no
	// icon, and for files that are not pages): answer with the page icon.
	mux.Handle("GET /favicon.ico", cacheStatic(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		icon, _ := fs.ReadFile(static, "favicon.svg")
		w.Header().Set("Content-Type", "image/svg+xml")
		w.Write(icon)
	})))
	mux.Handle("GET /{$}", h.public(h.home.showHome))
	mux.Handle("GET /login", h.public(h.identity.showLogin))
	if h.sso != nil { // UseSSO, before Routes
		mux.Handle("GET /login/sso", h.public(h.sso.startSSO))
		mux.Handle("GET /login/sso/callback", h.public(h.sso.finishSSO))
	}
	mux.Handle("GET /privacy", h.public(h.consents.showNotice))
	mux.Handle("GET /privacy/ask", h.public(h.requests.showAsk))
	mux.Handle("POST /privacy/ask", h.public(h.requests.ask))
	mux.Handle("GET /privacy/ask/confirm", h.public(h.requests.showConfirmAsk))
	mux.Handle("POST /privacy/ask/confirm", h.public(h.requests.confirmAsk))
	mux.Handle("POST /login", h.public(h.identity.login))
	mux.Handle("POST /lang", h.public(h.identity.switchLanguage))
	mux.Handle("GET /password/forgot", h.public(h.identity.showForgot))
	mux.Handle("POST /password/forgot", h.public(h.identity.forgot))
	mux.Handle("GET "+identity.ResetPath, h.public(h.identity.showLinkPage(resetPage)))
	mux.Handle("POST "+identity.ResetPath, h.public(h.identity.useLinkPage(resetPage)))
	mux.Handle("GET "+identity.InvitePath, h.public(h.identity.showLinkPage(invitePage)))
	mux.Handle("POST "+identity.InvitePath, h.public(h.identity.useLinkPage(invitePage)))
	mux.Handle("POST /admin/invitations", h.authed(h.admin.inviteUser))
	mux.Handle("POST /admin/users/{id}/password-reset", h.authed(h.admin.sendPasswordReset))
	mux.Handle("POST /logout", h.beforeMFA(h.identity.logout))
	mux.Handle("GET /mfa/verify", h.beforeMFA(h.identity.showVerifyMFA))
	mux.Handle("POST /mfa/verify", h.beforeMFA(h.identity.verifyMFA))
	mux.Handle("GET /mfa", h.beforeEnrol(h.identity.showMFA))
	mux.Handle("POST /mfa", h.beforeEnrol(h.identity.beginTOTP))
	mux.Handle("POST /mfa/confirm", h.beforeEnrol(h.identity.confirmTOTP))
	mux.Handle("GET /step-up", h.beforeEnrol(h.identity.showStepUp))
	mux.Handle("POST /mfa/passkey", h.beforeMFA(h.identity.provePasskey))
	mux.Handle("POST /mfa/passkeys", h.beforeEnrol(h.identity.addPasskey))
	mux.Handle("POST /mfa/passkeys/{id}/delete", h.authed(h.identity.removePasskey))
	mux.Handle("POST /step-up", h.beforeEnrol(h.identity.stepUp))
	mux.Handle("POST /admin/mfa", h.authed(h.admin.setMFARequiredRoles))
	mux.Handle("POST /admin/users/{id}/mfa/reset", h.authed(h.admin.resetMFA))
	mux.Handle("GET /policy", h.beforePolicy(h.admin.showPolicy))
	mux.Handle("POST /policy", h.beforePolicy(h.admin.acceptPolicy))
	mux.Handle("POST /admin/policy", h.authed(h.admin.publishPolicy))
	mux.Handle("GET /search", h.authed(h.home.showSearch))
	mux.Handle("POST /search", h.authed(h.home.search))
	mux.Handle("GET /customers", h.authed(h.customers.listCustomers))
	mux.Handle("POST /customers/search", h.authed(h.customers.searchCustomers))
	mux.Handle("GET /customers/search", h.authed(h.customers.listCustomers))
	mux.Handle("GET /customers/new", h.authed(h.customers.newCustomer))
	mux.Handle("POST /customers", h.authed(h.customers.createCustomer))
	mux.Handle("GET /customers/import", h.authed(h.customers.showImport))
	mux.Handle("POST /customers/import", h.upload(h.customers.importCustomers))
	mux.Handle("GET /customers/export", h.authed(h.customers.exportCustomers))
	mux.Handle("POST /customers/export", h.authed(h.customers.exportSearch))
	mux.Handle("GET /customers/pseudonymised", h.authed(h.customers.showPseudonymise))
	mux.Handle("POST /customers/pseudonymised", h.authed(h.customers.pseudonymise))
	mux.Handle("GET /customers/{id}", h.authed(h.customers.showCustomer))
	mux.Handle("GET /customers/{id}/audience", h.authed(h.admin.showAudience))
	mux.Handle("GET /customers/{id}/changes", h.authed(h.customers.showChanges))
	mux.Handle("GET /customers/{id}/edit", h.authed(h.customers.editCustomer))
	mux.Handle("POST /customers/{id}", h.authed(h.customers.updateCustomer))
	mux.Handle("POST /customers/{id}/delete", h.authed(h.customers.deleteCustomer))
	mux.Handle("POST /customers/{id}/reveal", h.authed(h.customers.revealField))
	mux.Handle("POST /customers/{id}/activities", h.authed(h.customers.logActivity))
	mux.Handle("POST /activities/{id}/done", h.authed(h.customers.completeTask))
	mux.Handle("GET /visits", h.authed(h.visits.listVisits))
	mux.Handle("POST /visits", h.authed(h.visits.planVisit))
	mux.Handle("GET /visits/{id}", h.authed(h.visits.showVisit))
	mux.Handle("POST /visits/{id}/checkin", h.authed(h.visits.checkVisit(true)))
	mux.Handle("POST /visits/{id}/checkout", h.authed(h.visits.checkVisit(false)))
	mux.Handle("POST /visits/{id}/photos", h.upload(h.visits.addVisitPhoto))
	mux.Handle("GET /visits/{id}/photos/{photo}", h.authed(h.visits.showVisitPhoto))
	mux.Handle("GET /deals", h.authed(h.deals.showDeals))
	mux.Handle("POST /customers/{id}/deals", h.authed(h.deals.createDeal))
	mux.Handle("GET /deals/{id}", h.authed(h.deals.showDeal))
	mux.Handle("POST /deals/{id}/stage", h.authed(h.deals.moveDeal))
	mux.Handle("POST /deals/{id}/activities", h.authed(h.deals.logDealActivity))
	mux.Handle("POST /customers/{id}/transactions", h.authed(h.customers.recordTransaction))
	mux.Handle("POST /customers/{id}/preferences", h.authed(h.customers.savePreferences))
	mux.Handle("POST /customers/{id}/feedback", h.authed(h.customers.addFeedback))
	mux.Handle("GET /companies", h.authed(h.companies.listCompanies))
	mux.Handle("POST /companies/search", h.authed(h.companies.searchCompanies))
	mux.Handle("GET /companies/search", h.authed(h.companies.listCompanies))
	mux.Handle("GET /companies/new", h.authed(h.companies.newCompany))
	mux.Handle("POST /companies", h.authed(h.companies.createCompany))
	mux.Handle("GET /companies/{id}", h.authed(h.companies.showCompany))
	mux.Handle("GET /companies/{id}/edit", h.authed(h.companies.editCompany))
	mux.Handle("POST /companies/{id}", h.authed(h.companies.updateCompany))
	mux.Handle("POST /companies/{id}/delete", h.authed(h.companies.deleteCompany))
	mux.Handle("POST /companies/{id}/activities", h.authed(h.companies.logCompanyActivity))
	mux.Handle("GET /audit", h.authed(h.audit.listAudit))
	mux.Handle("GET /audit/{seq}/reason", h.authed(h.audit.showAuditReason))
	mux.Handle("POST /audit/find", h.authed(h.audit.findAudit))
	mux.Handle("GET /audit/export", h.authed(h.audit.exportAudit))
	mux.Handle("GET /audit/{seq}", h.authed(h.audit.showAuditEvent))
	mux.Handle("GET /security", h.authed(h.audit.showSecurity))
	mux.Handle("POST /security/alerts/{id}", h.authed(h.audit.setAlertStatus))
	mux.Handle("POST /security/blocks", h.authed(h.audit.blockNetwork))
	mux.Handle("POST /security/blocks/lift", h.authed(h.audit.unblockNetwork))
	mux.Handle("GET /security/keys", h.authed(h.keys.showKeys))
	mux.Handle("GET /backups", h.authed(h.backups.showBackups))
	mux.Handle("GET /customers/{id}/consents", h.authed(h.consents.showConsents))
	mux.Handle("POST /customers/{id}/consents", h.authed(h.consents.giveConsent))
	mux.Handle("POST /customers/{id}/consents/withdraw", h.authed(h.consents.withdrawConsent))
	mux.Handle("POST /customers/{id}/requests", h.authed(h.requests.takeRequest))
	mux.Handle("GET /privacy/requests", h.authed(h.requests.showRequests))
	mux.Handle("GET /privacy/report", h.authed(h.requests.showReport))
	mux.Handle("GET /privacy/ropa", h.authed(h.requests.showProcessingRecord))
	mux.Handle("GET /privacy/requests/{id}", h.authed(h.requests.showRequest))
	mux.Handle("POST /privacy/requests/{id}", h.authed(h.requests.updateRequest))
	mux.Handle("POST /privacy/requests/{id}/erase", h.authed(h.requests.eraseForRequest))
	mux.Handle("POST /privacy/requests/{id}/hold", h.authed(h.requests.placeHold))
	mux.Handle("POST /privacy/requests/{id}/restrict", h.authed(h.requests.restrict))
	mux.Handle("POST /privacy/requests/{id}/lift", h.authed(h.requests.lift))
	mux.Handle("GET /privacy/requests/{id}/export", h.authed(h.requests.exportForRequest))
	mux.Handle("GET /privacy/held", h.authed(h.requests.showHeld))
	mux.Handle("POST /privacy/held/{id}/read", h.authed(h.requests.readHeld))
	mux.Handle("POST /privacy/requests/{id}/assign", h.authed(h.requests.assignRequest))
	mux.Handle("POST /privacy/requests/{id}/approval", h.authed(h.requests.askApproval))
	mux.Handle("POST /privacy/requests/{id}/approval/approve", h.authed(h.requests.approve))
	mux.Handle("POST /privacy/requests/{id}/approval/decline", h.authed(h.requests.decline))
	mux.Handle("GET /privacy/minimisation", h.authed(h.minimisation.showMinimisation))
	mux.Handle("GET /privacy/retention", h.authed(h.retention.showRetention))
	mux.Handle("POST /privacy/retention/{target}", h.authed(h.retention.setRetention))
	mux.Handle("POST /privacy/retention/{target}/runs", h.authed(h.retention.runRetention))
	mux.Handle("GET /privacy/incidents", h.authed(h.incidents.showIncidents))
	mux.Handle("POST /privacy/incidents", h.authed(h.incidents.openIncident))
	mux.Handle("GET /privacy/incidents/{id}", h.authed(h.incidents.showIncident))
	mux.Handle("POST /privacy/incidents/{id}/scope", h.authed(h.incidents.scopeIncident))
	mux.Handle("POST /privacy/incidents/{id}/decision", h.authed(h.incidents.decideIncident))
	mux.Handle("POST /privacy/incidents/{id}/status", h.authed(h.incidents.advanceIncident))
	mux.Handle("POST /privacy/incidents/{id}/tasks", h.authed(h.incidents.addTask))
	mux.Handle("POST /privacy/incidents/{id}/tasks/{task}/done", h.authed(h.incidents.finishTask))
	mux.Handle("GET /privacy/incidents/{id}/drafts/{customer}", h.authed(h.incidents.showDraft))
	mux.Handle("GET /admin/clients", h.authed(h.clients.showClients))
	mux.Handle("POST /admin/clients", h.authed(h.clients.registerClient))
	mux.Handle("POST /admin/clients/{id}/suspend", h.authed(h.clients.suspendClient))
	mux.Handle("POST /admin/clients/{id}/resume", h.authed(h.clients.resumeClient))
	mux.Handle("POST /admin/clients/{id}/delete", h.authed(h.clients.deleteClient))
	mux.Handle("GET /oauth/consent/{id}", h.authed(h.clients.showConsent))
	mux.Handle("POST /oauth/consent/{id}", h.authed(h.clients.approveConsent))
	mux.Handle("GET /vendors", h.authed(h.vendors.showVendors))
	mux.Handle("GET /vendors/new", h.authed(h.vendors.showNewVendor))
	mux.Handle("POST /vendors", h.authed(h.vendors.createVendor))
	mux.Handle("GET /vendors/{id}", h.authed(h.vendors.showVendor))
	mux.Handle("POST /vendors/{id}", h.authed(h.vendors.updateVendor))
	mux.Handle("POST /vendors/{id}/reviews", h.authed(h.vendors.recordReview))
	mux.Handle("POST /vendors/{id}/findings", h.authed(h.vendors.raiseFinding))
	mux.Handle("POST /vendors/{id}/findings/{finding}/fix", h.authed(h.vendors.fixFinding))
	// Webhooks (issue 15): subscriptions, the secret shown once, pause, delivery log, delete.
	mux.Handle("GET /admin/webhooks", h.authed(h.webhooks.showWebhooks))
	mux.Handle("POST /admin/webhooks", h.authed(h.webhooks.createWebhook))
	mux.Handle("GET /admin/webhooks/{id}", h.authed(h.webhooks.showWebhook))
	mux.Handle("POST /admin/webhooks/{id}/paused", h.authed(h.webhooks.pauseWebhook))
	mux.Handle("POST /admin/webhooks/{id}/test", h.authed(h.webhooks.testWebhook))
	mux.Handle("POST /admin/webhooks/{id}/rotate", h.authed(h.webhooks.rotateWebhookSecret))
	mux.Handle("POST /admin/webhooks/{id}/delete", h.authed(h.webhooks.deleteWebhook))
	// Field devices and the field app (issue 15).
	mux.Handle("GET /devices", h.authed(h.devices.showDevices))
	mux.Handle("POST /devices/{id}/lock", h.authed(h.devices.lockDevice))
	mux.Handle("POST /devices/{id}/wipe", h.authed(h.devices.wipeDevice))
	mux.Handle("GET /app/", fieldApp())
	mux.Handle("GET /training", h.beforeTraining(h.training.showTraining))
	mux.Handle("GET /training/coverage", h.authed(h.training.showCoverage))
	mux.Handle("GET /training/publish", h.authed(h.training.showPublish))
	mux.Handle("POST /training/publish", h.authed(h.training.publishModule))
	mux.Handle("GET /training/{key}", h.beforeTraining(h.training.showModule))
	mux.Handle("POST /training/{key}", h.beforeTraining(h.training.takeModule))
	mux.Handle("POST /training/{key}/assignment", h.authed(h.training.assignModule))
	mux.Handle("POST /backups", h.authed(h.backups.startBackup))
	mux.Handle("GET /sessions", h.authed(h.identity.showSessions))
	mux.Handle("POST /preferences/time", h.authed(h.identity.setMyTime))
	mux.Handle("POST /sessions/end-others", h.authed(h.identity.endOtherSessions))
	mux.Handle("POST /sessions/{id}/end", h.authed(h.identity.endSession))
	mux.Handle("POST /admin/users/{id}/sessions/end", h.authed(h.identity.endUserSessions))
	mux.Handle("POST /admin/sessions/end", h.authed(h.identity.endAllSessions))
	mux.Handle("GET /password", h.beforePassword(h.identity.showChangePassword))
	mux.Handle("POST /password", h.beforePassword(h.identity.changePassword))
	mux.Handle("POST /admin/users/{id}/disabled", h.authed(h.admin.setUserDisabled))
	mux.Handle("GET /admin", h.authed(h.admin.showAdmin))
	mux.Handle("GET /admin/live", h.authed(h.identity.showLive))
	mux.Handle("GET /reviews", h.authed(h.approvals.showReviews))
	mux.Handle("POST /reviews", h.authed(h.approvals.startReview))
	mux.Handle("GET /reviews/{id}", h.authed(h.approvals.showReview))
	mux.Handle("POST /reviews/{id}/items/{user}", h.authed(h.approvals.decideReview))
	mux.Handle("POST /reviews/{id}/sign-off", h.authed(h.approvals.signOffReview))
	mux.Handle("GET /reviews/{id}/report", h.authed(h.approvals.reviewReport))
	mux.Handle("GET /approvals", h.authed(h.approvals.showApprovals))
	mux.Handle("POST /approvals", h.authed(h.approvals.requestAccess))
	mux.Handle("POST /approvals/{id}", h.authed(h.approvals.decideApproval))
	mux.Handle("GET /break-glass", h.authed(h.approvals.showBreakGlass))
	mux.Handle("POST /break-glass", h.authed(h.approvals.breakGlass))
	mux.Handle("POST /break-glass/find", h.authed(h.approvals.findForBreakGlass))
	mux.Handle("POST /admin/approvals", h.authed(h.admin.saveApprovalRules))
	mux.Handle("POST /admin/teams", h.authed(h.admin.nestTeam))
	mux.Handle("GET /admin/roles", h.authed(h.admin.showRoles))
	mux.Handle("POST /admin/roles", h.authed(h.admin.newRole))
	mux.Handle("POST /admin/role-templates/{name}", h.authed(h.admin.applyTemplate))
	mux.Handle("GET /admin/roles/{name}", h.authed(h.admin.showRole))
	mux.Handle("POST /admin/roles/{name}", h.authed(h.admin.saveRole))
	mux.Handle("POST /admin/roles/{name}/retire", h.authed(h.admin.retireRole))
	mux.Handle("POST /admin/roles/{name}/networks", h.authed(h.admin.saveNetworks))
	mux.Handle("GET /admin/users/{id}/access", h.authed(h.admin.showAccess))
	mux.Handle("POST /admin/users", h.authed(h.admin.addUser))
	mux.Handle("POST /admin/users/{id}", h.authed(h.admin.updateUser))
	mux.Handle("POST /admin/pipeline", h.authed(h.admin.saveStages))
}

// filesOnly serves the files of an fs.FS and nothing about its
// directories: a directory does not exist, so /static/ and any folder
// below it answer 404 instead of a listing.
type filesOnly struct{ fs.FS }

func (f filesOnly) Open(name string) (fs.File, error) {
	file, err := f.FS.Open(name)
	if err != nil {
		return nil, err
	}
	if st, err := file.Stat(); err != nil || st.IsDir() {
		file.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return file, nil
}

func cacheStatic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		next.ServeHTTP(w, r)
	})
}

// request is what every page handler gets.
type request struct {
	w     http.ResponseWriter
	r     *http.Request
	lang  string
	actor authz.Actor
	token string // session token, for the CSRF token of its forms
	back  string // the page a posted search or export belongs to: where the language switch and a step-up return to

	logErr   string // a rejected activity, shown again on the customer page
	logInput crm.ActivityInput
	dealErr  string   // a rejected deal, shown again on the customer page
	deal     dealForm // and what was typed into its form, kept
	txErr    string   // a rejected transaction, likewise
	tx       postedForm
	prefErr  string   // rejected preferences or feedback, likewise
	scripts  bool     // the page loads Strongroom's own scripts (passkeys, geolocation)
	geo      bool     // the page may ask for the device's location
	refresh  bool     // the page's script fetches the page again (live.js)
	api      bool     // the page's script calls the JSON API (sealed.js): connect-src 'self'
	formTo   []string // further origins the page's forms may lead to (the OAuth consent page: the client's redirect URIs)

	can *records.Abilities // what the actor may open and start, once asked
}

// abilities is what the service says q's actor may open and start (the
// navigation, the lists' buttons), asked once per request.
func (h *Handler) abilities(q *request) records.Abilities {
	if q.can == nil {
		can := h.svc.Abilities(q.actor)
		q.can = &can
	}
	return *q.can
}

type pageFunc func(q *request) error

func (h *Handler) public(fn pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(core.WatchRefusals(r.Context()))
		q := &request{w: w, r: r, lang: language(r)}
		if err := httpx.CheckPath(r); err != nil {
			h.renderError(q, errs.E(errs.Invalid, tr(q.lang, "bad_address")))
			return
		}
		if err := fn(q); err != nil {
			h.renderError(q, err)
		}
	})
}

// authed authenticates by the session cookie; without a valid session the
// browser goes to the login page. Every POST must carry the form's CSRF
// token, derived from the session token, which a cross-site page cannot
// know.
func (h *Handler) authed(fn pageFunc) http.Handler { return h.session(fn, true, authz.GateFull) }

// upload is authed for multipart uploads: the handler streams the body and
// checks the CSRF token itself, from the form's first part.
func (h *Handler) upload(fn pageFunc) http.Handler { return h.session(fn, false, authz.GateFull) }

// beforePolicy is authed for the pages a user needs before accepting the
// security policy: the policy itself and logging out. Every other page
// sends such a user to the policy.
func (h *Handler) beforePolicy(fn pageFunc) http.Handler {
	return h.session(fn, true, authz.GatePolicy)
}

// beforeTraining is authed for the pages a user who has not passed the
// training a role of theirs requires needs to take it. Every other page
// (customer data among them) sends such a user to the training.
func (h *Handler) beforeTraining(fn pageFunc) http.Handler {
	return h.session(fn, true, authz.GateTraining)
}

// beforeMFA is authed for the pages a session needs before its second
// factor is verified: entering it, and logging out.
func (h *Handler) beforeMFA(fn pageFunc) http.Handler { return h.session(fn, true, authz.GateMFA) }

// beforePassword is authed for the pages a user whose password an
// administrator chose needs before changing it: changing it.
func (h *Handler) beforePassword(fn pageFunc) http.Handler {
	return h.session(fn, true, authz.GatePassword)
}

// beforeEnrol is authed for the pages a user whose role must use two-step
// login needs before they have an authenticator: enrolling one.
func (h *Handler) beforeEnrol(fn pageFunc) http.Handler { return h.session(fn, true, authz.GateEnrol) }

// owedPage is where a session goes to take the step it still owes.
var owedPage = map[string]string{"mfa": "/mfa/verify", "password": "/password", "enrol": "/mfa", "policy": "/policy", "training": "/training"}

func (h *Handler) session(fn pageFunc, checkForm bool, g authz.Gate) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(core.WatchRefusals(r.Context()))
		q := &request{w: w, r: r, lang: language(r)}
		if err := httpx.CheckPath(r); err != nil {
			h.renderError(q, errs.E(errs.Invalid, tr(q.lang, "bad_address")))
			return
		}
		c, err := r.Cookie(SessionCookie)
		if err == nil {
			q.token = c.Value
			q.actor, err = h.svc.Sessions.Authenticate(r.Context(), c.Value, client(r))
			if err == nil && q.actor.DeviceID != "" { // a field device's token works only with its key's DPoP proof, on the API
				q.actor, err = authz.Actor{}, errs.E(errs.Unauthenticated, "a device token is not a web session")
			}
			if err == nil && q.actor.Locale != "" {
				q.lang = q.actor.Locale // the user's own choice wins over the browser's
			}
		}
		if err != nil {
			if errs.Is(err, errs.Unauthenticated) || errs.Is(err, errs.NotExist) || c == nil {
				target := "/login?next=" + url.QueryEscape(r.URL.Path)
				if c != nil {
					target += "&ended=1"
				}
				http.Redirect(w, r, target, http.StatusSeeOther)
				return
			}
			h.renderError(q, err)
			return
		}
		if page, ok := owedPage[q.actor.Owes(g)]; ok {
			http.Redirect(w, r, page, http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost && checkForm {
			if err := q.checkForm(); err != nil {
				h.renderError(q, err)
				return
			}
			if subtle.ConstantTimeCompare([]byte(r.PostFormValue(csrfField)), []byte(q.csrf())) != 1 {
				h.renderError(q, q.csrfRefused())
				return
			}
		}
		if err := fn(q); err != nil {
			h.renderError(q, err)
		}
	})
}

func (q *request) checkForm() error {
	q.r.Body = http.MaxBytesReader(q.w, q.r.Body, maxForm)
	if err := q.r.ParseForm(); err != nil {
		return errs.E(errs.Invalid, "the form could not be read")
	}
	// Refused, never silently replaced: the domain's text rules then see
	// each value as it was sent (crm.Label, crm.FreeText).
	for k, vs := range q.r.Form {
		if !utf8.ValidString(k) {
			return errs.E(errs.Invalid, tr(q.lang, "form_not_text"))
		}
		for _, v := range vs {
			if !utf8.ValidString(v) {
				return errs.InvalidField(k, fmt.Sprintf(tr(q.lang, "form_field_not_text"), k))
			}
		}
	}
	return nil
}

// errBadCSRF marks a form refused for its missing or wrong CSRF token.
var errBadCSRF = errors.New("the form's CSRF token is missing or wrong")

// csrfRefused is the answer to a form without its right token.
func (q *request) csrfRefused() error {
	return errs.Wrap(errs.Permission, "web.csrf", tr(q.lang, "form_expired"), errBadCSRF)
}

// csrf is the token the session's forms carry.
func (q *request) csrf() string {
	sum := sha256.Sum256([]byte("strongroom/csrf/v1|" + q.token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// page is what every template gets.
type page struct {
	Lang, Title, Path string
	OtherLang         string
	Clock             zone.Clock // how this reader's times are written: their language, zone and format
	CSRF              string
	Actor             authz.Actor
	LoggedIn          bool
	CanAudit          bool
	CanCustomers      bool
	CanCompanies      bool
	CanDeals          bool
	CanVisits         bool
	CanAdmin          bool
	CanPrivacy        bool // the privacy centre's pages
	CanHandlePrivacy  bool // handle requests, run retention and incidents
	Flash             string
	Data              any
}

func (h *Handler) render(q *request, status int, name, titleKey string, data any) {
	p := page{Lang: q.lang, Title: tr(q.lang, titleKey), Path: q.r.URL.Path, OtherLang: langZH, Clock: q.clock(), Actor: q.actor, LoggedIn: q.actor.UserID != "", Data: data}
	if q.back != "" {
		p.Path = q.back
	}
	if q.lang == langZH {
		p.OtherLang = langEN
	}
	if p.LoggedIn {
		p.CSRF = q.csrf()
		can := h.abilities(q)
		p.CanAudit, p.CanCustomers, p.CanCompanies = can.Audit, can.Customers, can.Companies
		p.CanDeals, p.CanVisits, p.CanAdmin = can.Deals, can.Visits, can.Admin
		p.CanPrivacy, p.CanHandlePrivacy = can.Privacy, can.HandleRequests
	}
	if f := q.r.URL.Query().Get("flash"); f != "" {
		if msg, ok := catalog[q.lang][f]; ok {
			p.Flash = msg
		}
	}
	var buf bytes.Buffer
	t, ok := h.pages[name]
	if !ok {
		panic("web: no page " + name)
	}
	if err := t.Execute(&buf, p); err != nil {
		h.log.Error("render", slog.String("route", q.r.Pattern), slog.String("error", err.Error()))
		http.Error(q.w, "internal error", http.StatusInternalServerError)
		return
	}
	hdr := q.w.Header()
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	csp := pageCSP
	if q.scripts {
		// Passkey pages, the check-in page and the live sessions page load
		// Strongroom's own files.
		csp += "; script-src 'self'"
	}
	if len(q.formTo) > 0 {
		csp = strings.Replace(csp, "form-action 'self'", "form-action 'self' "+strings.Join(q.formTo, " "), 1)
	}
	if q.refresh || q.api {
		// live.js fetches this page again to refresh its table; sealed.js
		// calls the API for ciphertext and envelopes.
		csp += "; connect-src 'self'"
	}
	if q.geo {
		// The check-in page's script asks for the device's location.
		hdr.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(self), interest-cohort=()")
	}
	hdr.Set("Content-Security-Policy", csp)
	hdr.Set("Content-Language", q.lang)
	q.w.WriteHeader(status)
	q.w.Write(buf.Bytes())
}

type errorView struct {
	Status  int
	Message string
}

// renderError shows err as a readable page. Internal errors are logged and
// shown as a generic message with the request id.
func (h *Handler) renderError(q *request, err error) {
	kind := errs.KindOf(err)
	if kind == errs.StepUp {
		q.stepUpFor()
		return
	}
	if kind == errs.Permission {
		reason, _ := errs.Public(err) // the log's reason in one language, not the page's
		h.recordRefusal(q, err, reason)
	}
	msg, _ := q.public(err)
	if kind == errs.Internal || kind == errs.Unavailable {
		h.log.Error("request failed", slog.String("request_id", httpx.RequestID(q.r.Context())), slog.String("route", q.r.Pattern), slog.String("error", err.Error()))
		msg += " (request " + httpx.RequestID(q.r.Context()) + ")"
	}
	h.render(q, kind.Status(), "error", "error", errorView{Status: kind.Status(), Message: msg})
}

// recordRefusal keeps a refused request (a function the user's roles do
// not allow, or a form without its CSRF token) in the audit log, unless
// the service recorded it already.
func (h *Handler) recordRefusal(q *request, err error, msg string) {
	a := q.actor
	if a.IP == "" {
		a.IP = httpx.ClientOf(q.r).IP
	}
	action := core.RefusedForbidden
	if errors.Is(err, errBadCSRF) {
		action, msg = core.RefusedCSRF, errBadCSRF.Error() // the log's reason in one language, not the page's
	}
	if rerr := h.svc.RecordRefusal(q.r.Context(), core.Refusal{Actor: a, Action: action, Route: q.r.Pattern, Reason: msg}); rerr != nil {
		h.log.Warn("refusal not recorded", slog.String("request_id", httpx.RequestID(q.r.Context())), slog.String("route", q.r.Pattern), slog.String("error", rerr.Error()))
	}
}

// public is err's public message and field (errs.Public), the message in
// the page's language (phrase.In).
func (q *request) public(err error) (msg, field string) {
	msg, field = errs.Public(err)
	return phrase.In(q.lang, msg), field
}

func (q *request) redirect(path, flash string) {
	if flash != "" {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		path += sep + "flash=" + flash
	}
	http.Redirect(q.w, q.r, path, http.StatusSeeOther)
}

// client is where r came from (httpx.ClientOf), as the service takes it.
func client(r *http.Request) identity.Client {
	c := httpx.ClientOf(r)
	return identity.Client{IP: c.IP, UserAgent: c.UserAgent, TimeZone: browserZone(r)}
}

func newCSRFCookie(w http.ResponseWriter) string {
	v := rand.Text()
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: v, Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode, MaxAge: int((30 * time.Minute).Seconds())})
	return v
}
