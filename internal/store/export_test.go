package store

// TokenMatch is tokenMatch, for the query plan test.
var TokenMatch = tokenMatch
