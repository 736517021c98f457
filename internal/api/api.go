// Package api is Strongroom's JSON REST API under /api/v1. Handlers parse
// and validate input, call one service method with the authenticated
// Actor, and write the result; errors are answered as problem+json by
// httpx.WriteError alone. Handlers never decide access themselves.
package api

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"strongroom.dev/strongroom/internal/authn"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/service/devices"
	"strongroom.dev/strongroom/internal/service/governance"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/service/records"
)

// SessionCookie is the session cookie's name (httpx.SessionCookie).
const SessionCookie = httpx.SessionCookie

// Handler serves the API: the one list of routes, authentication and the
// mapping of errors. The actions are on one struct per domain, each holding
// the domain service it calls.
type Handler struct {
	svc *service.Service // authentication (Sessions) and recording refusals
	log *slog.Logger

	customers    *customersAPI
	companies    *companiesAPI
	activities   *activitiesAPI
	deals        *dealsAPI
	visits       *visitsAPI
	users        *usersAPI
	sessions     *sessionsAPI
	roles        *rolesAPI
	approvals    *approvalsAPI
	audit        *auditAPI
	backups      *backupsAPI
	consents     *consentsAPI
	requests     *requestsAPI
	held         *heldAPI
	retention    *retentionAPI
	minimisation *minimisationAPI
	incidents    *incidentsAPI
	vendors      *vendorsAPI
	training     *trainingAPI
	clients      *clientsAPI
	webhooks     *webhooksAPI
	devices      *devicesAPI
	sealed       *sealedAPI
	keys         *keysAPI
}

// The domain handlers: what each calls is in its fields.
type (
	customersAPI  struct{ customers *records.Customers }
	companiesAPI  struct{ companies *records.Companies }
	activitiesAPI struct{ activities *records.Activities }
	dealsAPI      struct{ deals *records.Deals }
	visitsAPI     struct{ visits *records.Visits }
	usersAPI      struct{ users *identity.Users }
	sessionsAPI   struct{ sessions *identity.Sessions }
	rolesAPI      struct{ roles *governance.Roles }
	approvalsAPI  struct{ approvals *governance.Approvals }
	auditAPI      struct {
		log       *governance.AuditLog // the audit log
		customers *records.Customers   // reveal reasons, sealed under the customer's key
	}
)

// New returns the API handler.
func New(svc *service.Service, log *slog.Logger) *Handler {
	return &Handler{svc: svc, log: log,
		customers: &customersAPI{svc.Customers}, companies: &companiesAPI{svc.Companies}, activities: &activitiesAPI{svc.Activities}, deals: &dealsAPI{svc.Deals},
		visits: &visitsAPI{svc.Visits}, users: &usersAPI{svc.Users}, sessions: &sessionsAPI{svc.Sessions},
		roles: &rolesAPI{svc.Roles}, approvals: &approvalsAPI{svc.Approvals}, audit: &auditAPI{log: svc.AuditLog, customers: svc.Customers}, backups: &backupsAPI{svc.Backups}, consents: &consentsAPI{svc.Consents}, requests: &requestsAPI{svc.Requests, svc.Customers}, held: &heldAPI{svc.Customers},
		retention: &retentionAPI{svc.Retention}, minimisation: &minimisationAPI{svc.Minimisation}, incidents: &incidentsAPI{svc.Incidents},
		vendors: &vendorsAPI{svc.Vendors}, training: &trainingAPI{svc.Training}, webhooks: &webhooksAPI{svc.Hooks}, clients: &clientsAPI{svc.Clients}, devices: &devicesAPI{svc.Devices}, sealed: &sealedAPI{svc.Sealed},
		keys: &keysAPI{keys: svc.Keys, customers: svc.Customers, companies: svc.Companies}}
}

// Mux is where routes are registered; *http.ServeMux is one.
type Mux interface {
	Handle(pattern string, handler http.Handler)
}

// Routes registers every API route on mux. It is the one list of routes.
func (h *Handler) Routes(mux Mux) {
	mux.Handle("GET /api/v1/openapi.json", h.public(h.openAPI))
	mux.Handle("POST /api/v1/sessions", h.public(h.sessions.createSession))
	mux.Handle("DELETE /api/v1/sessions/current", h.beforeMFA(h.sessions.deleteSession))
	mux.Handle("POST /api/v1/sessions/current/mfa", h.beforeMFA(h.sessions.verifyMFA))
	mux.Handle("POST /api/v1/sessions/current/step-up", h.beforeEnrol(h.sessions.stepUp))
	mux.Handle("POST /api/v1/sessions/current/passkey/options", h.beforeMFA(h.sessions.beginPasskeyProof))
	mux.Handle("POST /api/v1/sessions/current/passkey", h.beforeMFA(h.sessions.finishPasskeyProof))
	mux.Handle("POST /api/v1/me/passkeys/options", h.beforeEnrol(h.sessions.beginPasskeyRegistration))
	mux.Handle("POST /api/v1/me/passkeys", h.beforeEnrol(h.sessions.finishPasskeyRegistration))
	mux.Handle("GET /api/v1/me/passkeys", h.beforeEnrol(h.sessions.listPasskeys))
	mux.Handle("DELETE /api/v1/me/passkeys/{id}", h.authed(h.sessions.deletePasskey))
	mux.Handle("POST /api/v1/me/totp", h.beforeEnrol(h.sessions.beginTOTP))
	mux.Handle("PUT /api/v1/me/totp", h.beforeEnrol(h.sessions.confirmTOTP))
	mux.Handle("GET /api/v1/mfa/required-roles", h.authed(h.sessions.listMFARequiredRoles))
	mux.Handle("PUT /api/v1/mfa/required-roles", h.authed(h.sessions.setMFARequiredRoles))
	mux.Handle("DELETE /api/v1/users/{id}/mfa", h.authed(h.sessions.resetMFA))
	mux.Handle("DELETE /api/v1/users/{id}/sessions", h.authed(h.sessions.endUserSessions))
	mux.Handle("GET /api/v1/policy", h.beforePolicy(h.roles.showPolicy))
	mux.Handle("POST /api/v1/policy/accept", h.beforePolicy(h.roles.acceptPolicy))
	mux.Handle("PUT /api/v1/policy", h.authed(h.roles.publishPolicy))
	mux.Handle("GET /api/v1/policy/acceptances", h.authed(h.roles.listAcceptances))
	mux.Handle("GET /api/v1/sessions", h.authed(h.sessions.listSessions))
	mux.Handle("GET /api/v1/sessions/active", h.authed(h.sessions.listActiveSessions))
	mux.Handle("DELETE /api/v1/sessions/others", h.authed(h.sessions.endOtherSessions))
	mux.Handle("DELETE /api/v1/sessions/all", h.authed(h.sessions.endAllSessions))
	mux.Handle("DELETE /api/v1/sessions/{id}", h.authed(h.sessions.endSession))
	mux.Handle("GET /api/v1/me", h.beforeEnrol(h.users.showMe))
	mux.Handle("POST /api/v1/me/password", h.beforePassword(h.users.changePassword))
	mux.Handle("PUT /api/v1/me/time", h.authed(h.users.setMyTime))
	mux.Handle("GET /api/v1/customers", h.authed(h.customers.listCustomers))
	mux.Handle("POST /api/v1/customers", h.authed(h.customers.createCustomer))
	mux.Handle("POST /api/v1/customers/import", h.authed(h.customers.importCustomers))
	mux.Handle("POST /api/v1/customers/search", h.authed(h.customers.searchCustomers))
	mux.Handle("GET /api/v1/customers/export", h.authed(h.customers.exportCustomers))
	mux.Handle("POST /api/v1/customers/export", h.authed(h.customers.exportSearch))
	mux.Handle("POST /api/v1/customers/pseudonymised-export", h.authed(h.customers.pseudonymisedExport))
	mux.Handle("GET /api/v1/customers/{id}", h.authed(h.customers.showCustomer))
	mux.Handle("GET /api/v1/customers/{id}/audience", h.authed(h.roles.customerAudience))
	mux.Handle("GET /api/v1/customers/{id}/history", h.authed(h.customers.customerHistory))
	mux.Handle("PATCH /api/v1/customers/{id}", h.authed(h.customers.updateCustomer))
	mux.Handle("DELETE /api/v1/customers/{id}", h.authed(h.customers.deleteCustomer))
	mux.Handle("POST /api/v1/customers/{id}/reveal", h.authed(h.customers.revealCustomerField))
	mux.Handle("GET /api/v1/customers/{id}/activities", h.authed(h.activities.listActivities))
	mux.Handle("POST /api/v1/customers/{id}/activities", h.authed(logActivityOn(h.svc.Activities.LogActivity)))
	mux.Handle("PATCH /api/v1/activities/{id}", h.authed(h.activities.updateActivity))
	mux.Handle("GET /api/v1/pipeline", h.authed(h.deals.showPipeline))
	mux.Handle("PUT /api/v1/pipeline", h.authed(h.deals.updatePipeline))
	mux.Handle("GET /api/v1/deals", h.authed(h.deals.listDeals))
	mux.Handle("POST /api/v1/customers/{id}/deals", h.authed(h.deals.createDeal))
	mux.Handle("GET /api/v1/deals/{id}", h.authed(h.deals.showDeal))
	mux.Handle("PATCH /api/v1/deals/{id}", h.authed(h.deals.updateDeal))
	mux.Handle("POST /api/v1/deals/{id}/activities", h.authed(logActivityOn(h.svc.Deals.LogDealActivity)))
	mux.Handle("DELETE /api/v1/deals/{id}", h.authed(h.deals.deleteDeal))
	mux.Handle("GET /api/v1/customers/{id}/consents", h.authed(h.consents.listConsents))
	mux.Handle("POST /api/v1/customers/{id}/consents", h.authed(h.consents.giveConsent))
	mux.Handle("DELETE /api/v1/customers/{id}/consents/{purpose}", h.authed(h.consents.withdrawConsent))
	mux.Handle("GET /api/v1/privacy/notice", h.public(h.consents.showNotice))
	mux.Handle("POST /api/v1/customers/{id}/requests", h.authed(h.requests.takeRequest))
	mux.Handle("POST /api/v1/customers/{id}/holds", h.authed(h.requests.placeHold))
	mux.Handle("GET /api/v1/privacy/requests", h.authed(h.requests.listRequests))
	mux.Handle("GET /api/v1/privacy/report", h.authed(h.requests.complianceReport))
	mux.Handle("GET /api/v1/privacy/ropa", h.authed(h.requests.processingRecord))
	mux.Handle("GET /api/v1/privacy/requests/{id}", h.authed(h.requests.showRequest))
	mux.Handle("PATCH /api/v1/privacy/requests/{id}", h.authed(h.requests.updateRequest))
	mux.Handle("GET /api/v1/privacy/requests/{id}/export", h.authed(h.requests.exportForRequest))
	mux.Handle("POST /api/v1/privacy/requests/{id}/erase", h.authed(h.requests.eraseForRequest))
	mux.Handle("POST /api/v1/privacy/requests/{id}/restrict", h.authed(h.requests.restrict))
	mux.Handle("POST /api/v1/privacy/requests/{id}/lift", h.authed(h.requests.lift))
	mux.Handle("GET /api/v1/privacy/held", h.authed(h.held.listHeld))
	mux.Handle("POST /api/v1/privacy/held/{id}/read", h.authed(h.held.readHeld))
	mux.Handle("POST /api/v1/privacy/requests/{id}/assign", h.authed(h.requests.assignRequest))
	mux.Handle("POST /api/v1/privacy/requests/{id}/approval", h.authed(h.requests.askApproval))
	mux.Handle("POST /api/v1/privacy/requests/{id}/approval/approve", h.authed(h.requests.approve))
	mux.Handle("POST /api/v1/privacy/requests/{id}/approval/decline", h.authed(h.requests.decline))
	mux.Handle("GET /api/v1/privacy/handlers", h.authed(h.requests.listHandlers))
	mux.Handle("GET /api/v1/privacy/request-approval", h.authed(h.requests.showApprovalSteps))
	mux.Handle("PUT /api/v1/privacy/request-approval", h.authed(h.requests.setApprovalSteps))
	mux.Handle("GET /api/v1/privacy/minimisation", h.authed(h.minimisation.showMinimisation))
	mux.Handle("POST /api/v1/privacy/notices", h.authed(h.consents.publishNotice))
	mux.Handle("GET /api/v1/privacy/retention", h.authed(h.retention.listRetention))
	mux.Handle("PUT /api/v1/privacy/retention/{target}", h.authed(h.retention.setRetention))
	mux.Handle("POST /api/v1/privacy/retention/{target}/runs", h.authed(h.retention.runRetention))
	mux.Handle("GET /api/v1/privacy/incidents", h.authed(h.incidents.listIncidents))
	mux.Handle("POST /api/v1/privacy/incidents", h.authed(h.incidents.openIncident))
	mux.Handle("GET /api/v1/privacy/incidents/{id}", h.authed(h.incidents.showIncident))
	mux.Handle("PATCH /api/v1/privacy/incidents/{id}", h.authed(h.incidents.advanceIncident))
	mux.Handle("POST /api/v1/privacy/incidents/{id}/scope", h.authed(h.incidents.scopeIncident))
	mux.Handle("PUT /api/v1/privacy/incidents/{id}/decision", h.authed(h.incidents.decideIncident))
	mux.Handle("POST /api/v1/privacy/incidents/{id}/tasks", h.authed(h.incidents.addTask))
	mux.Handle("POST /api/v1/privacy/incidents/{id}/tasks/{task}/done", h.authed(h.incidents.finishTask))
	mux.Handle("GET /api/v1/privacy/incidents/{id}/drafts/{customer}", h.authed(h.incidents.openDraft))
	mux.Handle("GET /api/v1/vendors", h.authed(h.vendors.listVendors))
	mux.Handle("POST /api/v1/vendors", h.authed(h.vendors.createVendor))
	mux.Handle("GET /api/v1/vendors/{id}", h.authed(h.vendors.showVendor))
	mux.Handle("PUT /api/v1/vendors/{id}", h.authed(h.vendors.updateVendor))
	mux.Handle("POST /api/v1/vendors/{id}/reviews", h.authed(h.vendors.recordVendorReview))
	mux.Handle("POST /api/v1/vendors/{id}/findings", h.authed(h.vendors.raiseVendorFinding))
	mux.Handle("POST /api/v1/vendors/{id}/findings/{finding}/fix", h.authed(h.vendors.fixVendorFinding))
	mux.Handle("GET /api/v1/clients", h.authed(h.clients.listClients))
	mux.Handle("POST /api/v1/clients", h.authed(h.clients.registerClient))
	mux.Handle("GET /api/v1/clients/{id}", h.authed(h.clients.showClient))
	mux.Handle("POST /api/v1/clients/{id}/suspend", h.authed(h.clients.suspendClient))
	mux.Handle("POST /api/v1/clients/{id}/resume", h.authed(h.clients.resumeClient))
	mux.Handle("DELETE /api/v1/clients/{id}", h.authed(h.clients.deleteClient))
	// Webhooks (issue 15): subscriptions, their secret, delivery log, test message.
	mux.Handle("GET /api/v1/webhooks", h.authed(h.webhooks.listWebhooks))
	mux.Handle("POST /api/v1/webhooks", h.authed(h.webhooks.createWebhook))
	mux.Handle("GET /api/v1/webhooks/{id}", h.authed(h.webhooks.showWebhook))
	mux.Handle("PUT /api/v1/webhooks/{id}", h.authed(h.webhooks.updateWebhook))
	mux.Handle("DELETE /api/v1/webhooks/{id}", h.authed(h.webhooks.deleteWebhook))
	mux.Handle("POST /api/v1/webhooks/{id}/rotate", h.authed(h.webhooks.rotateWebhookSecret))
	mux.Handle("GET /api/v1/webhooks/{id}/deliveries", h.authed(h.webhooks.listWebhookDeliveries))
	mux.Handle("POST /api/v1/webhooks/{id}/test", h.authed(h.webhooks.testWebhook))
	mux.Handle("GET /api/v1/training", h.beforeTraining(h.training.listTraining))
	mux.Handle("GET /api/v1/training/coverage", h.authed(h.training.trainingCoverage))
	mux.Handle("GET /api/v1/training/{key}", h.beforeTraining(h.training.showTraining))
	mux.Handle("POST /api/v1/training/{key}/attempts", h.beforeTraining(h.training.takeTraining))
	mux.Handle("PUT /api/v1/training/{key}", h.authed(h.training.publishTraining))
	mux.Handle("PUT /api/v1/training/{key}/assignment", h.authed(h.training.assignTraining))
	mux.Handle("GET /api/v1/customers/{id}/preferences", h.authed(h.customers.showPreferences))
	mux.Handle("PUT /api/v1/customers/{id}/preferences", h.authed(h.customers.updatePreferences))
	mux.Handle("POST /api/v1/customers/{id}/feedback", h.authed(h.customers.createFeedback))
	mux.Handle("GET /api/v1/customers/{id}/transactions", h.authed(h.customers.listTransactions))
	mux.Handle("POST /api/v1/customers/{id}/transactions", h.authed(h.customers.createTransaction))
	mux.Handle("PATCH /api/v1/transactions/{id}", h.authed(h.customers.updateTransaction))
	mux.Handle("GET /api/v1/visits", h.authed(h.visits.listVisits))
	mux.Handle("POST /api/v1/visits", h.authed(h.visits.planVisit))
	mux.Handle("GET /api/v1/visits/{id}", h.authed(h.visits.showVisit))
	mux.Handle("PATCH /api/v1/visits/{id}", h.authed(h.visits.updateVisitNotes))
	mux.Handle("POST /api/v1/visits/{id}/checkin", h.authed(h.visits.checkVisit(true)))
	mux.Handle("POST /api/v1/visits/{id}/checkout", h.authed(h.visits.checkVisit(false)))
	mux.Handle("POST /api/v1/visits/{id}/photos", h.authed(h.visits.addVisitPhoto))
	mux.Handle("GET /api/v1/visits/{id}/photos/{photo}", h.authed(h.visits.showVisitPhoto))
	mux.Handle("GET /api/v1/companies", h.authed(h.companies.listCompanies))
	mux.Handle("POST /api/v1/companies", h.authed(h.companies.createCompany))
	mux.Handle("POST /api/v1/companies/search", h.authed(h.companies.searchCompanies))
	mux.Handle("GET /api/v1/companies/{id}", h.authed(h.companies.showCompany))
	mux.Handle("PATCH /api/v1/companies/{id}", h.authed(h.companies.updateCompany))
	mux.Handle("DELETE /api/v1/companies/{id}", h.authed(h.companies.deleteCompany))
	mux.Handle("GET /api/v1/companies/{id}/activities", h.authed(h.activities.listCompanyActivities))
	mux.Handle("POST /api/v1/companies/{id}/activities", h.authed(logActivityOn(h.svc.Activities.LogCompanyActivity)))
	mux.Handle("GET /api/v1/tasks", h.authed(h.activities.listTasks))
	mux.Handle("GET /api/v1/audit", h.authed(h.audit.listAudit))
	mux.Handle("GET /api/v1/audit/{seq}/reason", h.authed(h.audit.showAuditReason))
	mux.Handle("GET /api/v1/audit/{seq}", h.authed(h.audit.showAuditEvent))
	mux.Handle("GET /api/v1/alerts", h.authed(h.audit.listAlerts))
	mux.Handle("GET /api/v1/blocks", h.authed(h.roles.listBlocks))
	mux.Handle("POST /api/v1/blocks", h.authed(h.roles.createBlock))
	mux.Handle("DELETE /api/v1/blocks", h.authed(h.roles.deleteBlock))
	mux.Handle("PATCH /api/v1/alerts/{id}", h.authed(h.audit.setAlertStatus))
	mux.Handle("GET /api/v1/backups", h.authed(h.backups.listBackups))
	mux.Handle("POST /api/v1/backups", h.authed(h.backups.startBackup))
	mux.Handle("POST /api/v1/password-resets", h.public(h.users.requestPasswordReset))
	mux.Handle("POST /api/v1/password-resets/complete", h.public(h.users.completePasswordReset))
	mux.Handle("POST /api/v1/invitations", h.authed(h.users.inviteUser))
	mux.Handle("POST /api/v1/invitations/accept", h.public(h.users.acceptInvitation))
	mux.Handle("GET /api/v1/users", h.authed(h.users.listUsers))
	mux.Handle("GET /api/v1/users/{id}/access", h.authed(h.roles.userAccess))
	mux.Handle("GET /api/v1/teams", h.authed(h.roles.listTeams))
	mux.Handle("PUT /api/v1/teams/{name}", h.authed(h.roles.nestTeam))
	mux.Handle("GET /api/v1/roles", h.authed(h.roles.listRoles))
	mux.Handle("GET /api/v1/role-templates", h.authed(h.roles.listTemplates))
	mux.Handle("POST /api/v1/access-requests", h.authed(h.approvals.requestAccess))
	mux.Handle("GET /api/v1/access-requests", h.authed(h.approvals.listAccessRequests))
	mux.Handle("POST /api/v1/access-requests/{id}/approve", h.authed(h.approvals.decideAccess(true)))
	mux.Handle("POST /api/v1/access-requests/{id}/reject", h.authed(h.approvals.decideAccess(false)))
	mux.Handle("POST /api/v1/customers/{id}/break-glass", h.authed(h.approvals.breakGlass))
	mux.Handle("GET /api/v1/approval-rules", h.authed(h.approvals.showApprovalRules))
	mux.Handle("GET /api/v1/access-reviews", h.authed(h.approvals.listReviews))
	mux.Handle("POST /api/v1/access-reviews", h.authed(h.approvals.startReview))
	mux.Handle("GET /api/v1/access-reviews/{id}", h.authed(h.approvals.showReview))
	mux.Handle("POST /api/v1/access-reviews/{id}/items/{user}/confirm", h.authed(h.approvals.decideReview(true)))
	mux.Handle("POST /api/v1/access-reviews/{id}/items/{user}/revoke", h.authed(h.approvals.decideReview(false)))
	mux.Handle("POST /api/v1/access-reviews/{id}/sign-off", h.authed(h.approvals.signOffReview))
	mux.Handle("GET /api/v1/access-reviews/{id}/report", h.authed(h.approvals.reviewReport))
	mux.Handle("PUT /api/v1/approval-rules/{kind}", h.authed(h.approvals.setApprovalRule))
	mux.Handle("PUT /api/v1/break-glass/roles", h.authed(h.approvals.setBreakGlassRoles))
	mux.Handle("POST /api/v1/role-templates/{name}/apply", h.authed(h.roles.applyTemplate))
	mux.Handle("GET /api/v1/roles/{name}", h.authed(h.roles.showRole))
	mux.Handle("PUT /api/v1/roles/{name}", h.authed(h.roles.saveRole))
	mux.Handle("POST /api/v1/roles/{name}/copy", h.authed(h.roles.copyRole))
	mux.Handle("DELETE /api/v1/roles/{name}", h.authed(h.roles.retireRole))
	mux.Handle("GET /api/v1/roles/{name}/networks", h.authed(h.roles.showRoleNetworks))
	mux.Handle("PUT /api/v1/roles/{name}/networks", h.authed(h.roles.setRoleNetworks))
	mux.Handle("POST /api/v1/users", h.authed(h.users.createUser))
	mux.Handle("POST /api/v1/users/{id}/password-reset", h.authed(h.users.sendPasswordReset))
	mux.Handle("PATCH /api/v1/users/{id}", h.authed(h.users.updateUser))
	// Sealed notes (issue 17): ciphertext and envelopes only.
	mux.Handle("GET /api/v1/me/seal-key", h.authed(h.sealed.showSealKey))
	mux.Handle("PUT /api/v1/me/seal-key", h.authed(h.sealed.putSealKey))
	mux.Handle("PUT /api/v1/me/seal-key/prf", h.authed(h.sealed.putSealKeyPRF))
	mux.Handle("GET /api/v1/customers/{id}/sealed-recipients", h.authed(h.sealed.listSealRecipients))
	mux.Handle("GET /api/v1/customers/{id}/sealed-notes", h.authed(h.sealed.listSealedNotes))
	mux.Handle("POST /api/v1/customers/{id}/sealed-notes", h.authed(h.sealed.createSealedNote))
	mux.Handle("GET /api/v1/sealed-notes/{id}", h.authed(h.sealed.showSealedNote))
	mux.Handle("PUT /api/v1/sealed-notes/{id}", h.authed(h.sealed.rekeySealedNote))
	mux.Handle("POST /api/v1/sealed-notes/{id}/recipients", h.authed(h.sealed.shareSealedNote))
	// The master key (issue 17): status; a customer's data key rotated.
	mux.Handle("GET /api/v1/keys", h.authed(h.keys.showKeys))
	mux.Handle("POST /api/v1/customers/{id}/key-rotation", h.authed(h.keys.rotateCustomerKey))
	mux.Handle("POST /api/v1/companies/{id}/key-rotation", h.authed(h.keys.rotateCompanyKey))
	// Field devices (issue 15).
	mux.Handle("POST /api/v1/devices", h.withoutDevice(h.devices.enrolDevice))
	mux.Handle("GET /api/v1/devices", h.withoutDevice(h.devices.listDevices))
	mux.Handle("POST /api/v1/devices/current/lease", h.authed(h.devices.leaseDevice))
	mux.Handle("POST /api/v1/devices/{id}/lock", h.withoutDevice(h.devices.lockDevice))
	mux.Handle("POST /api/v1/devices/{id}/wipe", h.withoutDevice(h.devices.wipeDevice))
	mux.Handle("POST /api/v1/devices/{id}/wipe-confirmation", h.public(h.devices.confirmWipe))
	mux.Handle("/api/", h.public(notFound))
}

func notFound(w http.ResponseWriter, r *http.Request) error {
	return errs.E(errs.NotExist, "no such API route: "+r.Method+" "+r.URL.Path)
}

type publicFunc func(w http.ResponseWriter, r *http.Request) error
type authedFunc func(w http.ResponseWriter, r *http.Request, a authz.Actor) error

func (h *Handler) public(fn publicFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(core.WatchRefusals(r.Context()))
		err := httpx.CheckPath(r)
		if err == nil {
			err = fn(w, r)
		}
		if err != nil {
			h.fail(w, r, authz.Actor{}, err)
		}
	})
}

// fail answers err. A refusal of a function (403 forbidden) is first kept
// in the audit log as a security event, unless the service recorded it
// already.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, a authz.Actor, err error) {
	if wipe := (*devices.WipeOrder)(nil); errors.As(err, &wipe) {
		writeWipe(w, wipe)
		return
	}
	if ref := (*devices.Refused)(nil); errors.As(err, &ref) {
		w.Header().Set(DeviceStateHeader, ref.State)
	}
	if errs.Is(err, errs.Permission) {
		if a.IP == "" {
			a.IP = httpx.ClientOf(r).IP
		}
		msg, _ := errs.Public(err)
		if rerr := h.svc.RecordRefusal(r.Context(), core.Refusal{Actor: a, Action: core.RefusedForbidden, Route: r.Pattern, Reason: msg}); rerr != nil {
			h.log.LogAttrs(r.Context(), slog.LevelWarn, "refusal not recorded", slog.String("request_id", httpx.RequestID(r.Context())),
				slog.String("route", r.Pattern), slog.String("error", rerr.Error()))
		}
	}
	httpx.WriteError(w, r, h.log, err)
}

// authed authenticates the request (Bearer token, else session cookie)
// before calling fn with the Actor. A user who has not accepted the current
// security policy reaches only the routes wrapped by beforePolicy.
func (h *Handler) authed(fn authedFunc) http.Handler { return h.authenticated(fn, authz.GateFull) }

// withoutDevice is authed for the routes a user whose role must use an
// enrolled device (--device-required-roles) reaches without one: enrolling
// it, and seeing, locking and wiping their devices.
func (h *Handler) withoutDevice(fn authedFunc) http.Handler {
	return h.authenticatedAs(fn, authz.GateFull, false)
}

// beforePolicy is authed for the routes a user needs to read and accept
// the security policy (and to log out).
func (h *Handler) beforePolicy(fn authedFunc) http.Handler {
	return h.authenticated(fn, authz.GatePolicy)
}

// beforeTraining is authed for the routes a user who has not passed the
// training a role of theirs requires needs to take it: every other route
// (customer data among them) refuses them until they pass.
func (h *Handler) beforeTraining(fn authedFunc) http.Handler {
	return h.authenticated(fn, authz.GateTraining)
}

// beforeMFA is authed for the routes a session needs before its second
// factor is verified: verifying it, and logging out.
func (h *Handler) beforeMFA(fn authedFunc) http.Handler { return h.authenticated(fn, authz.GateMFA) }

// beforeEnrol is authed for the routes a user whose role must use two-step
// login needs before they have an authenticator: enrolling one.
func (h *Handler) beforeEnrol(fn authedFunc) http.Handler {
	return h.authenticated(fn, authz.GateEnrol)
}

// beforePassword is authed for the routes a user whose password an
// administrator chose needs before changing it: changing it.
func (h *Handler) beforePassword(fn authedFunc) http.Handler {
	return h.authenticated(fn, authz.GatePassword)
}

// owedStep tells a caller how to take the step its session still owes.
var owedStep = map[string]string{
	"mfa":      "verify your second factor first: POST /api/v1/sessions/current/mfa with the code from your authenticator app",
	"password": "an administrator chose your password: change it first with POST /api/v1/me/password",
	"enrol":    "your role must use two-step login: set up an authenticator first with POST then PUT /api/v1/me/totp",
	"policy":   "accept the current security policy first: GET /api/v1/policy, then POST /api/v1/policy/accept",
	"training": "your role must pass its training before reaching customer data: GET /api/v1/training, then POST /api/v1/training/{key}/attempts",
}

func (h *Handler) authenticated(fn authedFunc, g authz.Gate) http.Handler {
	return h.authenticatedAs(fn, g, g == authz.GateFull)
}

// authenticatedAs is authenticated; posture applies the device rule
// (devices.Devices.Posture).
func (h *Handler) authenticatedAs(fn authedFunc, g authz.Gate, posture bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(core.WatchRefusals(r.Context()))
		err := httpx.CheckPath(r)
		var a authz.Actor
		if err == nil {
			a, err = h.authenticate(r)
		}
		if err == nil {
			if owed, ok := owedStep[a.Owes(g)]; ok {
				err = errs.E(errs.Permission, owed)
			}
		}
		if err == nil && posture {
			err = h.svc.Devices.Posture(a)
		}
		if err == nil {
			err = fn(w, r, a)
		}
		if err != nil {
			h.fail(w, r, a, err)
		}
	})
}

func (h *Handler) authenticate(r *http.Request) (authz.Actor, error) {
	token, bearer := "", false
	if v := r.Header.Get("Authorization"); v != "" {
		scheme, t, ok := strings.Cut(v, " ")
		switch {
		case ok && strings.EqualFold(scheme, "DPoP"):
			return h.authenticateDevice(r, strings.TrimSpace(t))
		case !ok || !strings.EqualFold(scheme, "Bearer"):
			return authz.Actor{}, errs.E(errs.Unauthenticated, "the Authorization header must be: Bearer <token> (or DPoP <token> from a field device)")
		}
		token, bearer = strings.TrimSpace(t), true
	} else if c, err := r.Cookie(SessionCookie); err == nil {
		token = c.Value
	}
	if token == "" {
		return authz.Actor{}, errs.E(errs.Unauthenticated, "log in first: POST /api/v1/sessions, then send the token as Authorization: Bearer <token>")
	}
	if !authn.WellFormedToken(token) && bearer {
		// Not a session token: an OAuth access token of a partner's client.
		return h.svc.Clients.Authenticate(r.Context(), token, httpx.ClientOf(r).IP)
	}
	a, err := h.svc.Sessions.Authenticate(r.Context(), token, client(r))
	if err == nil && a.DeviceID != "" {
		return authz.Actor{}, errs.E(errs.Unauthenticated, "this token is bound to a field device's key: send it as Authorization: DPoP <token> with a DPoP proof signed by that key")
	}
	return a, err
}

// authenticateDevice authenticates a field device's request: its token
// (Authorization: DPoP) and the DPoP proof of the key it is bound to; an
// ordered wipe is delivered here (devices.Devices.Contact).
func (h *Handler) authenticateDevice(r *http.Request, token string) (authz.Actor, error) {
	proof, err := h.svc.Devices.Proof(r.Header.Get("DPoP"), r.Method, requestURL(r), token)
	if err != nil {
		return authz.Actor{}, err
	}
	a, authErr := h.svc.Sessions.Authenticate(r.Context(), token, client(r))
	if a.IP == "" {
		a.IP = httpx.ClientOf(r).IP
	}
	return h.svc.Devices.Contact(r.Context(), proof, a, authErr)
}

// requestURL is the URL a DPoP proof's htu names: the request's scheme,
// host and path.
func requestURL(r *http.Request) string {
	scheme := "https"
	if r.TLS == nil {
		scheme = "http"
	}
	return scheme + "://" + r.Host + r.URL.EscapedPath()
}

// client is where r came from (httpx.ClientOf), as the service takes it.
func client(r *http.Request) identity.Client {
	c := httpx.ClientOf(r)
	return identity.Client{IP: c.IP, UserAgent: c.UserAgent}
}
