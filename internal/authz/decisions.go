package authz

// Decisions decides one actor's action on the records of a page, once for
// each owner and team among them: a decision depends on the record only
// through its object, its owner and the owner's team, and for a read under
// break-glass access on the customer's id (decided on its own each time).
// The decisions it returns share their maps, which no caller changes.
type Decisions struct {
	a    Actor
	act  Action
	seen map[decisionKey]Decision
}

type decisionKey struct {
	object             Object
	ownerID, ownerTeam string
}

// NewDecisions returns the decisions of a's act, for one page or batch.
func NewDecisions(a Actor, act Action) *Decisions {
	return &Decisions{a: a, act: act, seen: map[decisionKey]Decision{}}
}

// Decide is Decide(a, act, r) for the actor and action of ds.
func (ds *Decisions) Decide(r Resource) Decision {
	if breaksGlass(ds.a, ds.act, r) {
		return Decide(ds.a, ds.act, r)
	}
	k := decisionKey{r.Object, r.OwnerID, r.OwnerTeam}
	if d, ok := ds.seen[k]; ok {
		return d
	}
	d := Decide(ds.a, ds.act, r)
	ds.seen[k] = d
	return d
}
