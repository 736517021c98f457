package api_test

// clientsScenarios: the register of OAuth clients of partner systems
// (administrators change it, auditors read it, others may not see it).
var clientsScenarios = []scenario{
	{name: "client: sales may not register one", as: "salesA", method: "POST", path: "/api/v1/clients", body: `{"name":"PayCo","role":"auditor"}`,
		status: 403, audit: []string{"security.forbidden denied"}},
	{name: "client: an unknown role", as: "admin", method: "POST", path: "/api/v1/clients", body: `{"name":"PayCo","role":"nosuchrole"}`,
		status: 400, contains: []string{"role"}},
	{name: "client: a redirect URI that is not https", as: "admin", method: "POST", path: "/api/v1/clients", body: `{"name":"PayCo","role":"auditor","redirect_uris":["http://app.example/cb"]}`,
		status: 400, contains: []string{"redirect_uris"}},
	{name: "client: a private key is refused as its JWK", as: "admin", method: "POST", path: "/api/v1/clients",
		body:   `{"name":"PayCo","role":"auditor","auth_method":"private_key_jwt","jwk":"{\"kty\":\"oct\",\"k\":\"c2VjcmV0\",\"kid\":\"k\"}"}`,
		status: 400, contains: []string{"jwk"}},
	{name: "client: admin registers one; the secret is shown once", as: "admin", method: "POST", path: "/api/v1/clients",
		body:   `{"name":"PayCo","role":"auditor","networks":["10.1.2.3/8"],"rate_per_minute":60,"token_seconds":600}`,
		status: 201, audit: []string{"client.register success"}, contains: []string{`"secret":"src_`, `"networks":["10.0.0.0/8"]`, `"status":"active"`}, save: map[string]string{"cli": "id"}},
	{name: "clients: the auditor reads the register, without secrets", as: "auditor", method: "GET", path: "/api/v1/clients", status: 200,
		contains: []string{`"name":"PayCo"`, `"request_count":0`}, absent: []string{`"secret"`}},
	{name: "clients: sales may not", as: "salesA", method: "GET", path: "/api/v1/clients", status: 403, audit: []string{"security.forbidden denied"}, absent: []string{"PayCo"}},
	{name: "client: the auditor reads one", as: "auditor", method: "GET", path: "/api/v1/clients/{cli}", status: 200, contains: []string{`"role":"auditor"`}, absent: []string{`"secret"`}},
	{name: "client: sales may not read one", as: "salesA", method: "GET", path: "/api/v1/clients/{cli}", status: 403, audit: []string{"security.forbidden denied"}},
	{name: "client: an auditor may not suspend one", as: "auditor", method: "POST", path: "/api/v1/clients/{cli}/suspend", status: 403, audit: []string{"security.forbidden denied"}},
	{name: "client: admin suspends it", as: "admin", method: "POST", path: "/api/v1/clients/{cli}/suspend", status: 204, audit: []string{"client.suspend success"}},
	{name: "client: an auditor may not resume one", as: "auditor", method: "POST", path: "/api/v1/clients/{cli}/resume", status: 403, audit: []string{"security.forbidden denied"}},
	{name: "client: admin resumes it", as: "admin", method: "POST", path: "/api/v1/clients/{cli}/resume", status: 204, audit: []string{"client.resume success"}},
	{name: "client: an auditor may not delete one", as: "auditor", method: "DELETE", path: "/api/v1/clients/{cli}", status: 403, audit: []string{"security.forbidden denied"}},
	{name: "client: admin deletes it", as: "admin", method: "DELETE", path: "/api/v1/clients/{cli}", status: 204, audit: []string{"client.delete success"}},
	{name: "client: gone", as: "admin", method: "GET", path: "/api/v1/clients/{cli}", status: 404},
}
