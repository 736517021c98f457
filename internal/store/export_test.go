package store

// TokenMatch is tokenMatch, for the query plan test.
var TokenMatch = tokenMatch

// ListCustomersQuery is listCustomersQuery, for the query plan test.
var ListCustomersQuery = listCustomersQuery
