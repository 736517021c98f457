package api_test

// webhookScenarios: webhook subscriptions (issue 15). Administrators
// manage them, auditors read them, others are refused; the secret is
// answered on create and rotate only; special-purpose destinations are
// refused; every call is audited.
var webhookScenarios = []scenario{
	{name: "webhook: an auditor may not subscribe", as: "auditor", method: "POST", path: "/api/v1/webhooks",
		body: `{"name":"Partner","url":"https://partner.example.com/hooks","role":"marketing","events":["customer.created"]}`, status: 403, audit: []string{"security.forbidden denied"}},
	{name: "webhook: the metadata address is refused", as: "admin", method: "POST", path: "/api/v1/webhooks",
		body: `{"name":"Partner","url":"https://169.254.169.254/latest/meta-data/","role":"marketing","events":["customer.created"]}`, status: 400, contains: []string{"url", "special-purpose"}},
	{name: "webhook: an IPv4-mapped loopback is refused", as: "admin", method: "POST", path: "/api/v1/webhooks",
		body: `{"name":"Partner","url":"https://[::ffff:127.0.0.1]:8443/","role":"marketing","events":["customer.created"]}`, status: 400, contains: []string{"url"}},
	{name: "webhook: an unknown event is refused", as: "admin", method: "POST", path: "/api/v1/webhooks",
		body: `{"name":"Partner","url":"https://partner.example.com/hooks","role":"marketing","events":["customer.erased"]}`, status: 400, contains: []string{"events"}},
	{name: "webhook: admin subscribes a partner", as: "admin", method: "POST", path: "/api/v1/webhooks",
		body:   `{"name":"Partner","url":"https://partner.example.com/hooks","role":"marketing","events":["customer.created","deal.stage_changed"]}`,
		status: 201, audit: []string{"webhook.create success"}, contains: []string{`"secret":"whsec_`, `"paused":false`}, save: map[string]string{"whk": "id"}},
	{name: "webhooks: the auditor lists them, without the secret", as: "auditor", method: "GET", path: "/api/v1/webhooks", status: 200,
		audit: []string{"webhook.list success"}, contains: []string{"partner.example.com", "alert.raised"}, absent: []string{"whsec_"}},
	{name: "webhooks: sales may not", as: "salesA", method: "GET", path: "/api/v1/webhooks", status: 403, audit: []string{"security.forbidden denied"}, absent: []string{"partner.example.com"}},
	{name: "webhook: the auditor reads one", as: "auditor", method: "GET", path: "/api/v1/webhooks/{whk}", status: 200, audit: []string{"webhook.read success"}, absent: []string{"whsec_"}},
	{name: "webhook: sales may not read one", as: "salesA", method: "GET", path: "/api/v1/webhooks/{whk}", status: 403, audit: []string{"security.forbidden denied"}},
	{name: "webhook: an auditor may not change one", as: "auditor", method: "PUT", path: "/api/v1/webhooks/{whk}",
		body: `{"name":"Partner","url":"https://partner.example.com/hooks","role":"admin","events":["customer.created"]}`, status: 403, audit: []string{"security.forbidden denied"}},
	{name: "webhook: admin pauses it and changes its events", as: "admin", method: "PUT", path: "/api/v1/webhooks/{whk}",
		body:   `{"name":"Partner","url":"https://partner.example.com/hooks","role":"marketing","events":["customer.created"],"paused":true}`,
		status: 200, audit: []string{"webhook.update success"}, contains: []string{`"paused":true`}, absent: []string{"deal.stage_changed"}},
	{name: "webhook: an auditor may not rotate the secret", as: "auditor", method: "POST", path: "/api/v1/webhooks/{whk}/rotate", status: 403, audit: []string{"security.forbidden denied"}},
	{name: "webhook: admin rotates the secret", as: "admin", method: "POST", path: "/api/v1/webhooks/{whk}/rotate", status: 200, audit: []string{"webhook.rotate success"}, contains: []string{`"secret":"whsec_`}},
	{name: "webhook: an auditor may not send a test", as: "auditor", method: "POST", path: "/api/v1/webhooks/{whk}/test", status: 403, audit: []string{"security.forbidden denied"}},
	{name: "webhook: admin queues a test message", as: "admin", method: "POST", path: "/api/v1/webhooks/{whk}/test", status: 202, audit: []string{"webhook.test success"},
		contains: []string{`"event_type":"webhook.test"`, `"status":"pending"`}},
	{name: "webhook: the auditor reads the delivery log", as: "auditor", method: "GET", path: "/api/v1/webhooks/{whk}/deliveries", status: 200,
		audit: []string{"webhook.deliveries success"}, contains: []string{"webhook.test"}},
	{name: "webhook: sales may not read the log", as: "salesA", method: "GET", path: "/api/v1/webhooks/{whk}/deliveries", status: 403, audit: []string{"security.forbidden denied"}},
	{name: "webhook: an auditor may not delete it", as: "auditor", method: "DELETE", path: "/api/v1/webhooks/{whk}", status: 403, audit: []string{"security.forbidden denied"}},
	{name: "webhook: admin deletes it", as: "admin", method: "DELETE", path: "/api/v1/webhooks/{whk}", status: 204, audit: []string{"webhook.delete success"}},
	{name: "webhook: gone", as: "admin", method: "DELETE", path: "/api/v1/webhooks/{whk}", status: 404},
}
