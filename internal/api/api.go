// Package api is Strongroom's JSON REST API under /api/v1. Handlers parse
// and validate input, call one service method with the authenticated
// Actor, and write the result; errors are answered as problem+json by
// httpx.WriteError alone. Handlers never decide access themselves.
package api

import (
	"log/slog"
	"net/http"
	"strings"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service"
)

// SessionCookie is the session cookie's name (httpx.SessionCookie).
const SessionCookie = httpx.SessionCookie

// Handler serves the API.
type Handler struct {
	svc *service.Service
	log *slog.Logger
}

// New returns the API handler.
func New(svc *service.Service, log *slog.Logger) *Handler {
	return &Handler{svc: svc, log: log}
}

// Mux is where routes are registered; *http.ServeMux is one.
type Mux interface {
	Handle(pattern string, handler http.Handler)
}

// Routes registers every API route on mux. It is the one list of routes.
func (h *Handler) Routes(mux Mux) {
	mux.Handle("GET /api/v1/openapi.json", h.public(h.openAPI))
	mux.Handle("POST /api/v1/sessions", h.public(h.createSession))
	mux.Handle("DELETE /api/v1/sessions/current", h.beforeMFA(h.deleteSession))
	mux.Handle("POST /api/v1/sessions/current/mfa", h.beforeMFA(h.verifyMFA))
	mux.Handle("POST /api/v1/sessions/current/step-up", h.beforeEnrol(h.stepUp))
	mux.Handle("POST /api/v1/sessions/current/passkey/options", h.beforeMFA(h.beginPasskeyProof))
	mux.Handle("POST /api/v1/sessions/current/passkey", h.beforeMFA(h.finishPasskeyProof))
	mux.Handle("POST /api/v1/me/passkeys/options", h.beforeEnrol(h.beginPasskeyRegistration))
	mux.Handle("POST /api/v1/me/passkeys", h.beforeEnrol(h.finishPasskeyRegistration))
	mux.Handle("GET /api/v1/me/passkeys", h.beforeEnrol(h.listPasskeys))
	mux.Handle("DELETE /api/v1/me/passkeys/{id}", h.authed(h.deletePasskey))
	mux.Handle("POST /api/v1/me/totp", h.beforeEnrol(h.beginTOTP))
	mux.Handle("PUT /api/v1/me/totp", h.beforeEnrol(h.confirmTOTP))
	mux.Handle("GET /api/v1/mfa/required-roles", h.authed(h.listMFARequiredRoles))
	mux.Handle("PUT /api/v1/mfa/required-roles", h.authed(h.setMFARequiredRoles))
	mux.Handle("DELETE /api/v1/users/{id}/mfa", h.authed(h.resetMFA))
	mux.Handle("DELETE /api/v1/users/{id}/sessions", h.authed(h.endUserSessions))
	mux.Handle("GET /api/v1/policy", h.beforePolicy(h.showPolicy))
	mux.Handle("POST /api/v1/policy/accept", h.beforePolicy(h.acceptPolicy))
	mux.Handle("PUT /api/v1/policy", h.authed(h.publishPolicy))
	mux.Handle("GET /api/v1/policy/acceptances", h.authed(h.listAcceptances))
	mux.Handle("GET /api/v1/sessions", h.authed(h.listSessions))
	mux.Handle("DELETE /api/v1/sessions/others", h.authed(h.endOtherSessions))
	mux.Handle("DELETE /api/v1/sessions/all", h.authed(h.endAllSessions))
	mux.Handle("DELETE /api/v1/sessions/{id}", h.authed(h.endSession))
	mux.Handle("GET /api/v1/me", h.beforeEnrol(h.showMe))
	mux.Handle("POST /api/v1/me/password", h.beforePassword(h.changePassword))
	mux.Handle("GET /api/v1/customers", h.authed(h.listCustomers))
	mux.Handle("POST /api/v1/customers", h.authed(h.createCustomer))
	mux.Handle("POST /api/v1/customers/import", h.authed(h.importCustomers))
	mux.Handle("POST /api/v1/customers/search", h.authed(h.searchCustomers))
	mux.Handle("GET /api/v1/customers/export", h.authed(h.exportCustomers))
	mux.Handle("POST /api/v1/customers/export", h.authed(h.exportSearch))
	mux.Handle("GET /api/v1/customers/{id}", h.authed(h.showCustomer))
	mux.Handle("GET /api/v1/customers/{id}/audience", h.authed(h.customerAudience))
	mux.Handle("PATCH /api/v1/customers/{id}", h.authed(h.updateCustomer))
	mux.Handle("DELETE /api/v1/customers/{id}", h.authed(h.deleteCustomer))
	mux.Handle("POST /api/v1/customers/{id}/reveal", h.authed(h.revealCustomerField))
	mux.Handle("GET /api/v1/customers/{id}/activities", h.authed(h.listActivities))
	mux.Handle("POST /api/v1/customers/{id}/activities", h.authed(h.logActivityOn(h.svc.Companies.LogActivity)))
	mux.Handle("PATCH /api/v1/activities/{id}", h.authed(h.updateActivity))
	mux.Handle("GET /api/v1/pipeline", h.authed(h.showPipeline))
	mux.Handle("PUT /api/v1/pipeline", h.authed(h.updatePipeline))
	mux.Handle("GET /api/v1/deals", h.authed(h.listDeals))
	mux.Handle("POST /api/v1/customers/{id}/deals", h.authed(h.createDeal))
	mux.Handle("GET /api/v1/deals/{id}", h.authed(h.showDeal))
	mux.Handle("PATCH /api/v1/deals/{id}", h.authed(h.updateDeal))
	mux.Handle("POST /api/v1/deals/{id}/activities", h.authed(h.logActivityOn(h.svc.Deals.LogDealActivity)))
	mux.Handle("DELETE /api/v1/deals/{id}", h.authed(h.deleteDeal))
	mux.Handle("GET /api/v1/customers/{id}/preferences", h.authed(h.showPreferences))
	mux.Handle("PUT /api/v1/customers/{id}/preferences", h.authed(h.updatePreferences))
	mux.Handle("POST /api/v1/customers/{id}/feedback", h.authed(h.createFeedback))
	mux.Handle("GET /api/v1/customers/{id}/transactions", h.authed(h.listTransactions))
	mux.Handle("POST /api/v1/customers/{id}/transactions", h.authed(h.createTransaction))
	mux.Handle("PATCH /api/v1/transactions/{id}", h.authed(h.updateTransaction))
	mux.Handle("GET /api/v1/visits", h.authed(h.listVisits))
	mux.Handle("POST /api/v1/visits", h.authed(h.planVisit))
	mux.Handle("GET /api/v1/visits/{id}", h.authed(h.showVisit))
	mux.Handle("PATCH /api/v1/visits/{id}", h.authed(h.updateVisitNotes))
	mux.Handle("POST /api/v1/visits/{id}/checkin", h.authed(h.checkVisit(true)))
	mux.Handle("POST /api/v1/visits/{id}/checkout", h.authed(h.checkVisit(false)))
	mux.Handle("POST /api/v1/visits/{id}/photos", h.authed(h.addVisitPhoto))
	mux.Handle("GET /api/v1/visits/{id}/photos/{photo}", h.authed(h.showVisitPhoto))
	mux.Handle("GET /api/v1/companies", h.authed(h.listCompanies))
	mux.Handle("POST /api/v1/companies", h.authed(h.createCompany))
	mux.Handle("POST /api/v1/companies/search", h.authed(h.searchCompanies))
	mux.Handle("GET /api/v1/companies/{id}", h.authed(h.showCompany))
	mux.Handle("PATCH /api/v1/companies/{id}", h.authed(h.updateCompany))
	mux.Handle("DELETE /api/v1/companies/{id}", h.authed(h.deleteCompany))
	mux.Handle("GET /api/v1/companies/{id}/activities", h.authed(h.listCompanyActivities))
	mux.Handle("POST /api/v1/companies/{id}/activities", h.authed(h.logActivityOn(h.svc.Companies.LogCompanyActivity)))
	mux.Handle("GET /api/v1/tasks", h.authed(h.listTasks))
	mux.Handle("GET /api/v1/audit", h.authed(h.listAudit))
	mux.Handle("GET /api/v1/audit/{seq}/reason", h.authed(h.showAuditReason))
	mux.Handle("POST /api/v1/password-resets", h.public(h.requestPasswordReset))
	mux.Handle("POST /api/v1/password-resets/complete", h.public(h.completePasswordReset))
	mux.Handle("POST /api/v1/invitations", h.authed(h.inviteUser))
	mux.Handle("POST /api/v1/invitations/accept", h.public(h.acceptInvitation))
	mux.Handle("GET /api/v1/users", h.authed(h.listUsers))
	mux.Handle("GET /api/v1/users/{id}/access", h.authed(h.userAccess))
	mux.Handle("GET /api/v1/teams", h.authed(h.listTeams))
	mux.Handle("PUT /api/v1/teams/{name}", h.authed(h.nestTeam))
	mux.Handle("GET /api/v1/roles", h.authed(h.listRoles))
	mux.Handle("GET /api/v1/role-templates", h.authed(h.listTemplates))
	mux.Handle("POST /api/v1/access-requests", h.authed(h.requestAccess))
	mux.Handle("GET /api/v1/access-requests", h.authed(h.listAccessRequests))
	mux.Handle("POST /api/v1/access-requests/{id}/approve", h.authed(h.decideAccess(true)))
	mux.Handle("POST /api/v1/access-requests/{id}/reject", h.authed(h.decideAccess(false)))
	mux.Handle("POST /api/v1/customers/{id}/break-glass", h.authed(h.breakGlass))
	mux.Handle("GET /api/v1/approval-rules", h.authed(h.showApprovalRules))
	mux.Handle("GET /api/v1/access-reviews", h.authed(h.listReviews))
	mux.Handle("POST /api/v1/access-reviews", h.authed(h.startReview))
	mux.Handle("GET /api/v1/access-reviews/{id}", h.authed(h.showReview))
	mux.Handle("POST /api/v1/access-reviews/{id}/items/{user}/confirm", h.authed(h.decideReview(true)))
	mux.Handle("POST /api/v1/access-reviews/{id}/items/{user}/revoke", h.authed(h.decideReview(false)))
	mux.Handle("POST /api/v1/access-reviews/{id}/sign-off", h.authed(h.signOffReview))
	mux.Handle("GET /api/v1/access-reviews/{id}/report", h.authed(h.reviewReport))
	mux.Handle("PUT /api/v1/approval-rules/{kind}", h.authed(h.setApprovalRule))
	mux.Handle("PUT /api/v1/break-glass/roles", h.authed(h.setBreakGlassRoles))
	mux.Handle("POST /api/v1/role-templates/{name}/apply", h.authed(h.applyTemplate))
	mux.Handle("GET /api/v1/roles/{name}", h.authed(h.showRole))
	mux.Handle("PUT /api/v1/roles/{name}", h.authed(h.saveRole))
	mux.Handle("POST /api/v1/roles/{name}/copy", h.authed(h.copyRole))
	mux.Handle("DELETE /api/v1/roles/{name}", h.authed(h.retireRole))
	mux.Handle("GET /api/v1/roles/{name}/networks", h.authed(h.showRoleNetworks))
	mux.Handle("PUT /api/v1/roles/{name}/networks", h.authed(h.setRoleNetworks))
	mux.Handle("POST /api/v1/users", h.authed(h.createUser))
	mux.Handle("POST /api/v1/users/{id}/password-reset", h.authed(h.sendPasswordReset))
	mux.Handle("PATCH /api/v1/users/{id}", h.authed(h.updateUser))
	mux.Handle("/api/", h.public(notFound))
}

func notFound(w http.ResponseWriter, r *http.Request) error {
	return errs.E(errs.NotExist, "no such API route: "+r.Method+" "+r.URL.Path)
}

type publicFunc func(w http.ResponseWriter, r *http.Request) error
type authedFunc func(w http.ResponseWriter, r *http.Request, a authz.Actor) error

func (h *Handler) public(fn publicFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(service.WatchRefusals(r.Context()))
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
	if errs.Is(err, errs.Permission) {
		if a.IP == "" {
			a.IP = httpx.ClientOf(r).IP
		}
		msg, _ := errs.Public(err)
		if rerr := h.svc.RecordRefusal(r.Context(), service.Refusal{Actor: a, Action: service.RefusedForbidden, Route: r.Pattern, Reason: msg}); rerr != nil {
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

// beforePolicy is authed for the routes a user needs to read and accept
// the security policy (and to log out).
func (h *Handler) beforePolicy(fn authedFunc) http.Handler {
	return h.authenticated(fn, authz.GatePolicy)
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
}

func (h *Handler) authenticated(fn authedFunc, g authz.Gate) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(service.WatchRefusals(r.Context()))
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
		if err == nil {
			err = fn(w, r, a)
		}
		if err != nil {
			h.fail(w, r, a, err)
		}
	})
}

func (h *Handler) authenticate(r *http.Request) (authz.Actor, error) {
	token := ""
	if v := r.Header.Get("Authorization"); v != "" {
		scheme, t, ok := strings.Cut(v, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return authz.Actor{}, errs.E(errs.Unauthenticated, "the Authorization header must be: Bearer <token>")
		}
		token = strings.TrimSpace(t)
	} else if c, err := r.Cookie(SessionCookie); err == nil {
		token = c.Value
	}
	if token == "" {
		return authz.Actor{}, errs.E(errs.Unauthenticated, "log in first: POST /api/v1/sessions, then send the token as Authorization: Bearer <token>")
	}
	return h.svc.Sessions.Authenticate(r.Context(), token, client(r))
}

// client is where r came from (httpx.ClientOf), as the service takes it.
func client(r *http.Request) service.Client {
	c := httpx.ClientOf(r)
	return service.Client{IP: c.IP, UserAgent: c.UserAgent}
}
