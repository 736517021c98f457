package store

// TokenMatch is tokenMatch, for the query plan test.
var TokenMatch = tokenMatch

// ListCustomersQuery is listCustomersQuery, for the query plan test.
var ListCustomersQuery = listCustomersQuery

// ListAuditQuery is listAuditQuery, for the query plan test.
var ListAuditQuery = listAuditQuery

// AuditActionsQuery is AuditActions' SQL, for the query plan test.
const AuditActionsQuery = auditActionsQuery
