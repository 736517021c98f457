package cli

import (
	"context"

	"strongroom.dev/strongroom/internal/config"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/sso"
)

// singleSignOn turns on single sign-on when --oidc-issuer is set: the
// policy on the service (every mapped role must exist) and the relying
// party, whose discovery runs at the first login. It returns nil when off.
func singleSignOn(ctx context.Context, c config.Config, a *app) (*sso.Provider, error) {
	o := c.OIDC
	if o.Issuer == "" {
		return nil, nil
	}
	roles, err := o.SSORoleMap()
	if err != nil {
		return nil, usageError(err.Error())
	}
	if err := a.svc.Sessions.UseSSO(ctx, identity.SSOPolicy{Issuer: o.Issuer, RoleMap: roles, JIT: o.JIT, MFAByProvider: o.MFAByProvider}); err != nil {
		return nil, usageError("--oidc-role-map: " + err.Error())
	}
	p, err := sso.New(sso.Config{Issuer: o.Issuer, ClientID: o.ClientID, ClientSecret: o.ClientSecret, RedirectURL: c.Link() + "/login/sso/callback",
		GroupsClaim: o.GroupsClaim, MFAValues: o.MFAValues(), CAFile: o.CAFile})
	if err != nil {
		return nil, usageError(err.Error())
	}
	return p, nil
}
