package config

import (
	"maps"
	"testing"
)

// --request-days shortens a law's deadline and never lengthens it.
func TestRequestDeadlines(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want map[string]int
		ok   bool
	}{
		{"", map[string]int{}, true},
		{"pipl=10", map[string]int{"pipl": 10}, true},
		{" pipl = 7 , gdpr=30", map[string]int{"pipl": 7, "gdpr": 30}, true},
		{"pipl=16", nil, false}, // longer than the 15 days taken for "promptly"
		{"ccpa=46", nil, false},
		{"hipaa=5", nil, false},
		{"pipl", nil, false},
		{"pipl=0", nil, false},
		{"pipl=ten", nil, false},
	} {
		got, err := Config{RequestDays: tt.in}.RequestDeadlines()
		if (err == nil) != tt.ok || tt.ok && !maps.Equal(got, tt.want) {
			t.Errorf("%q: %v %v", tt.in, got, err)
		}
	}
}

// --oidc-role-map parses "group=role,group=role+role"; the --oidc-* flags
// are checked together, and the client secret never comes from a flag.
func TestOIDCFlags(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want map[string]string
		ok   bool
	}{
		{"", map[string]string{}, true},
		{"crm-sales=sales", map[string]string{"crm-sales": "sales"}, true},
		{" crm-sales = sales , CRM Managers=manager+sales", map[string]string{"crm-sales": "sales", "CRM Managers": "manager,sales"}, true},
		{"crm-sales", nil, false},
		{"=sales", nil, false},
		{"crm-sales=", nil, false},
		{"g=sales,g=auditor", nil, false},
	} {
		got, err := OIDC{RoleMap: tt.in}.SSORoleMap()
		if (err == nil) != tt.ok || tt.ok && !maps.Equal(got, tt.want) {
			t.Errorf("%q: %v %v", tt.in, got, err)
		}
	}
	base := func() Config {
		c := Defaults(func(k string) string {
			if k == "STRONGROOM_OIDC_CLIENT_SECRET" {
				return "s3cret"
			}
			return ""
		})
		c.OIDC.Issuer, c.OIDC.ClientID = "https://idp.example.com", "strongroom"
		return c
	}
	for _, tt := range []struct {
		name string
		edit func(c *Config)
		ok   bool
	}{
		{"issuer, client and secret", func(*Config) {}, true},
		{"plain http issuer", func(c *Config) { c.OIDC.Issuer = "http://idp.example.com" }, false},
		{"no client id", func(c *Config) { c.OIDC.ClientID = "" }, false},
		{"no secret in the environment", func(c *Config) { c.OIDC.ClientSecret = "" }, false},
		{"just-in-time without a role map", func(c *Config) { c.OIDC.JIT = true }, false},
		{"just-in-time with a role map", func(c *Config) { c.OIDC.JIT, c.OIDC.RoleMap = true, "g=sales" }, true},
		{"a flag without the issuer", func(c *Config) { c.OIDC.Issuer = "" }, false},
		{"a two-line button", func(c *Config) { c.OIDC.Name = "Okta\nfake" }, false},
	} {
		c := base()
		tt.edit(&c)
		if err := c.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
	if c := Defaults(func(string) string { return "" }); c.OIDC.Issuer != "" || c.Validate() != nil {
		t.Errorf("single sign-on is not off by default: %+v", c.OIDC)
	}
}
