package api_test

// keyScenarios: the master key's status and a customer's data-key
// rotation (issue 17). Auditors and administrators read the status; only
// an administrator with a fresh proof rotates a customer's key; every
// call is audited.
var keyScenarios = []scenario{
	{name: "keys: the auditor reads the status", as: "auditor", method: "GET", path: "/api/v1/keys", status: 200,
		audit: []string{"keys.status success"}, contains: []string{`"custody":"`, `"active_term":1`, `"data_keys":`}},
	{name: "keys: sales may not", as: "salesA", method: "GET", path: "/api/v1/keys", status: 403, audit: []string{"security.forbidden denied"}, absent: []string{"custody"}},
	{name: "key rotation: sales may not rotate a customer's key", as: "salesA", method: "POST", path: "/api/v1/customers/{cusA}/key-rotation",
		body: `{"reason":"suspected exposure"}`, status: 403, audit: []string{"security.forbidden denied"}},
	{name: "key rotation: needs a fresh proof", as: "admin", stale: true, method: "POST", path: "/api/v1/customers/{cusA}/key-rotation",
		body: `{"reason":"suspected exposure"}`, status: 403},
	{name: "key rotation: needs a reason", as: "admin", method: "POST", path: "/api/v1/customers/{cusA}/key-rotation", body: `{"reason":""}`, status: 400, contains: []string{"reason"}},
	{name: "key rotation: admin rotates the customer's key", as: "admin", method: "POST", path: "/api/v1/customers/{cusA}/key-rotation",
		body: `{"reason":"a laptop with an export was stolen"}`, status: 200, audit: []string{"customer.key_rotation success"}, contains: []string{`"customer_id":"{cusA}"`, `"resealed":`}},
	{name: "key rotation: the customer still reads", as: "admin", method: "GET", path: "/api/v1/customers/{cusA}", status: 200, audit: []string{"customer.read success"}},
	{name: "key rotation: an unknown customer", as: "admin", method: "POST", path: "/api/v1/customers/cus_nobody/key-rotation", body: `{"reason":"x"}`, status: 404},
	{name: "key rotation: sales may not rotate a company's key", as: "salesA", method: "POST", path: "/api/v1/companies/{coA}/key-rotation",
		body: `{"reason":"suspected exposure"}`, status: 403, audit: []string{"security.forbidden denied"}},
	{name: "key rotation: admin rotates the company's key", as: "admin", method: "POST", path: "/api/v1/companies/{coA}/key-rotation",
		body: `{"reason":"the store's tablet was lost"}`, status: 200, audit: []string{"company.key_rotation success"}, contains: []string{`"company_id":"{coA}"`, `"resealed":`}},
	{name: "key rotation: the company still reads", as: "admin", method: "GET", path: "/api/v1/companies/{coA}", status: 200, audit: []string{"company.read success", "customer.read success", "customer.read success"}},
	{name: "key rotation: a customer's id is not a company's", as: "admin", method: "POST", path: "/api/v1/companies/{cusA}/key-rotation", body: `{"reason":"x"}`, status: 404},
}
