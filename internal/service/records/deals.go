package records

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/fieldcrypt"
	"strongroom.dev/strongroom/internal/keyring"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

var errDealNotFound = errs.E(errs.NotExist, "deal not found")

// mayOpenDeals reports whether a may open deals of their own: create, with
// title and amount writable. CreateDeal and the customer page ask it.
func mayOpenDeals(a authz.Actor) bool {
	d := authz.Decide(a, authz.ActionCreate, authz.Resource{Object: authz.ObjectDeal, OwnerID: a.UserID, OwnerTeam: a.Team})
	return d.Allowed && d.Field(crm.DealAmount) >= authz.Write && d.Field(crm.DealTitle) >= authz.Write
}

// dealInScope loads a deal for action, like core.CustomerInScope.
func (s *Deals) dealInScope(ctx context.Context, tx dealStore, a authz.Actor, id, action string) (store.DealRow, error) {
	return core.InScope(ctx, s.c, tx, a, id, action, core.Scope[store.DealRow]{Object: "deal", Load: tx.DealByID, Resource: dealRes, NotFound: errDealNotFound})
}

func dealRes(d store.DealRow) authz.Resource {
	return authz.Resource{Object: authz.ObjectDeal, OwnerID: d.OwnerID, OwnerTeam: d.OwnerTeam}
}

func dealPlace(id, column string) fieldcrypt.Place {
	return fieldcrypt.Place{Table: "deals", Column: column, Row: id}
}

// Stages returns the pipeline's stages in order. Anyone logged in may
// read them: they hold no personal data.
func (s *Deals) Stages(ctx context.Context) ([]crm.Stage, error) {
	var out []crm.Stage
	err := core.Look(ctx, s.c, dealStoreOf, func(tx dealStore) error {
		var err error
		out, err = tx.Stages(ctx)
		return err
	})
	return out, err
}

var stageID = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// SetStages replaces the pipeline (admins: whoever may update users and
// roles). A stage that deals are in cannot be removed.
func (s *Deals) SetStages(ctx context.Context, a authz.Actor, stages []crm.Stage) error {
	if err := core.May(a, authz.ActionUpdate, authz.ObjectUser, "you may not change the pipeline"); err != nil {
		return err
	}
	if len(stages) < 2 || len(stages) > 20 {
		return errs.InvalidField("stages", "a pipeline has 2 to 20 stages")
	}
	seen := map[string]bool{}
	for _, st := range stages {
		switch {
		case !stageID.MatchString(st.ID):
			return errs.InvalidField("stages", fmt.Sprintf("stage %q: ids are lower-case letters, digits and _, starting with a letter", st.ID))
		case seen[st.ID]:
			return errs.InvalidField("stages", fmt.Sprintf("stage %q is listed twice", st.ID))
		case st.Probability < 0 || st.Probability > 100:
			return errs.InvalidField("stages", fmt.Sprintf("stage %q: probability must be 0 to 100", st.ID))
		case st.Outcome != "open" && st.Outcome != "won" && st.Outcome != "lost":
			return errs.InvalidField("stages", fmt.Sprintf("stage %q: outcome must be open, won or lost", st.ID))
		}
		seen[st.ID] = true
	}
	return core.Change(ctx, s.c, dealStoreOf, func(tx dealStore) error {
		old, err := tx.Stages(ctx)
		if err != nil {
			return err
		}
		for _, st := range old {
			if seen[st.ID] {
				continue
			}
			used, err := tx.StageInUse(ctx, st.ID)
			if err != nil {
				return err
			}
			if used {
				return errs.InvalidField("stages", fmt.Sprintf("stage %q still has deals; move them first", st.ID))
			}
		}
		if err := tx.ReplaceStages(ctx, stages); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "pipeline.update", "pipeline", "", nil, audit.Success, fmt.Sprintf("%d stages", len(stages)))
	})
}

// CreateDeal opens a deal on a customer the actor may read. The actor owns
// it; title and amount are sealed under the customer's data key.
func (s *Deals) CreateDeal(ctx context.Context, a authz.Actor, customerID string, in crm.DealInput) (crm.Deal, error) {
	if !crm.ValidID(customerID) {
		return crm.Deal{}, core.ErrCustomerNotFound
	}
	if err := in.Normalise(true); err != nil {
		return crm.Deal{}, err
	}
	if !mayOpenDeals(a) {
		return crm.Deal{}, errs.E(errs.Permission, "you may not open deals")
	}
	now := s.c.Now()
	deal := crm.Deal{ID: crm.NewID("dea"), CustomerID: customerID, OwnerID: a.UserID, OwnerTeam: a.Team, Currency: *in.Currency, Title: *in.Title, Amount: in.Amount, CreatedAt: now, UpdatedAt: now}
	err := core.Change(ctx, s.c, dealStoreOf, func(tx dealStore) error {
		row, err := s.c.CustomerInScope(ctx, tx, a, customerID, "deal.create")
		if err != nil {
			return err
		}
		if a.UserID == authz.SystemUserID { // command-line and demo work: the customer's owner holds it
			if row.OwnerID == "" {
				return errs.E(errs.Invalid, "the customer has no owner to hold this deal")
			}
			deal.OwnerID, deal.OwnerTeam = row.OwnerID, row.OwnerTeam
		}
		stages, err := tx.Stages(ctx)
		if err != nil {
			return err
		}
		stage, err := pickStage(stages, in.Stage)
		if err != nil {
			return err
		}
		deal.Stage, deal.Probability = stage.ID, stage.Probability
		if in.Probability != nil {
			deal.Probability = *in.Probability
		}
		if in.ExpectedClose != nil {
			deal.ExpectedClose = *in.ExpectedClose
		}
		key, err := s.openKey(row)
		if err != nil {
			return err
		}
		r, err := sealDeal(key, deal)
		if err != nil {
			return err
		}
		if err := tx.InsertDeal(ctx, r); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "deal.create", "deal", deal.ID, []string{crm.DealTitle, crm.DealAmount}, audit.Success, "customer "+customerID)
	})
	if err != nil {
		return crm.Deal{}, err
	}
	return deal, nil
}

// UpdateDeal changes a deal; moving it is changing its stage (which sets
// the stage's probability unless one is given).
func (s *Deals) UpdateDeal(ctx context.Context, a authz.Actor, id string, in crm.DealInput) (crm.Deal, error) {
	if !crm.ValidID(id) {
		return crm.Deal{}, errDealNotFound
	}
	if err := in.Normalise(false); err != nil {
		return crm.Deal{}, err
	}
	var out crm.Deal
	err := core.Change(ctx, s.c, dealStoreOf, func(tx dealStore) error {
		row, err := s.dealInScope(ctx, tx, a, id, "deal.update")
		if err != nil {
			return err
		}
		d := authz.Decide(a, authz.ActionUpdate, dealRes(row))
		if !d.Allowed {
			return errs.E(errs.Permission, "you may not change this deal")
		}
		key, err := s.c.Keys.OpenDataKey(row.CustomerID, row.WrappedKey)
		if err != nil {
			return errs.Wrap(errs.Internal, "service.UpdateDeal", "", err)
		}
		deal, err := openDeal(key, row, func(string) authz.Level { return authz.Write })
		if err != nil {
			return err
		}
		var changed []string
		if in.Title != nil {
			deal.Title, changed = *in.Title, append(changed, crm.DealTitle)
		}
		if in.Amount != nil {
			if d.Field(crm.DealAmount) < authz.Write {
				return errs.InvalidField("amount", "you may not change amounts")
			}
			deal.Amount, changed = in.Amount, append(changed, crm.DealAmount)
		}
		if in.Currency != nil {
			deal.Currency, changed = *in.Currency, append(changed, "currency")
		}
		if in.Stage != nil && *in.Stage != deal.Stage {
			stages, err := tx.Stages(ctx)
			if err != nil {
				return err
			}
			stage, err := pickStage(stages, in.Stage)
			if err != nil {
				return err
			}
			deal.Stage, deal.Probability, changed = stage.ID, stage.Probability, append(changed, "stage")
		}
		if in.Probability != nil {
			deal.Probability, changed = *in.Probability, append(changed, "probability")
		}
		if in.ExpectedClose != nil {
			deal.ExpectedClose, changed = *in.ExpectedClose, append(changed, "expected_close")
		}
		deal.UpdatedAt = s.c.Now()
		r, err := sealDeal(key, deal)
		if err != nil {
			return err
		}
		if err := tx.UpdateDeal(ctx, r); err != nil {
			return err
		}
		out = visibleDeal(deal, authz.Decide(a, authz.ActionRead, dealRes(row)))
		return s.c.Record(ctx, tx, a, "deal.update", "deal", id, changed, audit.Success, "stage "+deal.Stage)
	})
	if err != nil {
		return crm.Deal{}, err
	}
	return out, nil
}

// DeleteDeal removes a deal.
func (s *Deals) DeleteDeal(ctx context.Context, a authz.Actor, id string) error {
	if !crm.ValidID(id) {
		return errDealNotFound
	}
	err := core.Change(ctx, s.c, dealStoreOf, func(tx dealStore) error {
		row, err := s.dealInScope(ctx, tx, a, id, "deal.delete")
		if err != nil {
			return err
		}
		if !authz.Decide(a, authz.ActionDelete, dealRes(row)).Allowed {
			return errs.E(errs.Permission, "you may not delete this deal")
		}
		if err := tx.DeleteDeal(ctx, id); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "deal.delete", "deal", id, nil, audit.Success, "")
	})
	return err
}

// StageColumn is one stage of the pipeline with its deals and totals.
type StageColumn struct {
	Stage    crm.Stage
	Deals    []crm.Deal
	Totals   map[string]int64 // currency -> sum of amounts the actor may see
	Weighted map[string]int64 // currency -> sum of amount × probability / 100
}

// Pipeline returns the deals the actor may read, by stage, with totals;
// customerID ("" for all) narrows it to one customer's deals.
func (s *Deals) Pipeline(ctx context.Context, a authz.Actor, customerID string) ([]StageColumn, error) {
	d := authz.Decide(a, authz.ActionRead, authz.Resource{Object: authz.ObjectDeal})
	if !d.Allowed {
		return nil, errs.E(errs.Permission, "you may not read deals")
	}
	if customerID != "" && !crm.ValidID(customerID) {
		return nil, core.ErrCustomerNotFound
	}
	f := store.DealFilter{CustomerID: customerID, Limit: 1000}
	f.OwnerID, f.Teams = core.ScopeFilter(a, d)
	var cols []StageColumn
	err := core.Read(ctx, s.c, dealStoreOf, func(ctx context.Context, tx dealStore) ([]audit.Event, error) {
		stages, err := tx.Stages(ctx)
		if err != nil {
			return nil, err
		}
		index := map[string]int{}
		var columns []StageColumn
		for i, st := range stages {
			index[st.ID] = i
			columns = append(columns, StageColumn{Stage: st, Totals: map[string]int64{}, Weighted: map[string]int64{}})
		}
		rows, err := tx.ListDeals(ctx, f)
		if err != nil {
			return nil, err
		}
		var events []audit.Event
		for _, r := range rows {
			rd := authz.Decide(a, authz.ActionRead, dealRes(r))
			if !rd.Allowed {
				continue
			}
			key, err := s.c.Keys.OpenDataKey(r.CustomerID, r.WrappedKey)
			if err != nil {
				return nil, errs.Wrap(errs.Internal, "service.Pipeline", "", err)
			}
			deal, err := openDeal(key, r, rd.Field)
			if err != nil {
				return nil, err
			}
			col := &columns[index[deal.Stage]]
			col.Deals = append(col.Deals, deal)
			if deal.Amount != nil {
				col.Totals[deal.Currency] += *deal.Amount
				col.Weighted[deal.Currency] += *deal.Amount * int64(deal.Probability) / 100
			}
			events = append(events, core.Event(a, "deal.read", "deal", deal.ID, shownDealFields(rd), audit.Success, "pipeline"))
		}
		cols = columns
		return events, nil
	})
	if err != nil {
		return nil, err
	}
	return cols, nil
}

func pickStage(stages []crm.Stage, want *string) (crm.Stage, error) {
	if want == nil {
		for _, st := range stages {
			if st.Outcome == "open" {
				return st, nil
			}
		}
		return stages[0], nil
	}
	for _, st := range stages {
		if st.ID == *want {
			return st, nil
		}
	}
	ids := make([]string, len(stages))
	for i, st := range stages {
		ids[i] = st.ID
	}
	sort.Strings(ids)
	return crm.Stage{}, errs.InvalidField("stage", fmt.Sprintf("unknown stage %q; the pipeline has: %v", *want, ids))
}

func sealDeal(key keyring.DataKey, d crm.Deal) (store.DealRow, error) {
	r := store.DealRow{ID: d.ID, CustomerID: d.CustomerID, OwnerID: d.OwnerID, Stage: d.Stage, Currency: d.Currency, Probability: d.Probability,
		ExpectedClose: d.ExpectedClose, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
	var err error
	if r.TitleSealed, err = fieldcrypt.Seal(key, dealPlace(d.ID, "title_ct"), d.Title); err != nil {
		return r, err
	}
	amount := ""
	if d.Amount != nil {
		amount = strconv.FormatInt(*d.Amount, 10)
	}
	r.AmountSealed, err = fieldcrypt.Seal(key, dealPlace(d.ID, "amount_ct"), amount)
	return r, err
}

// openDeal opens the fields whose level is above Hidden.
func openDeal(key keyring.DataKey, r store.DealRow, level func(string) authz.Level) (crm.Deal, error) {
	d := crm.Deal{ID: r.ID, CustomerID: r.CustomerID, OwnerID: r.OwnerID, OwnerTeam: r.OwnerTeam, Stage: r.Stage, Currency: r.Currency,
		Probability: r.Probability, ExpectedClose: r.ExpectedClose, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if level(crm.DealTitle) > authz.Hidden {
		t, err := fieldcrypt.Open(key, dealPlace(r.ID, "title_ct"), r.TitleSealed)
		if err != nil {
			return d, errs.Wrap(errs.Internal, "service.openDeal", "", err)
		}
		d.Title = t
	}
	if level(crm.DealAmount) > authz.Hidden {
		v, err := fieldcrypt.Open(key, dealPlace(r.ID, "amount_ct"), r.AmountSealed)
		if err != nil {
			return d, errs.Wrap(errs.Internal, "service.openDeal", "", err)
		}
		if v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return d, errs.Wrap(errs.Internal, "service.openDeal", "", err)
			}
			d.Amount = &n
		}
	}
	return d, nil
}

func visibleDeal(d crm.Deal, rd authz.Decision) crm.Deal {
	if rd.Field(crm.DealTitle) == authz.Hidden {
		d.Title = ""
	}
	if rd.Field(crm.DealAmount) == authz.Hidden {
		d.Amount = nil
	}
	return d
}

func shownDealFields(rd authz.Decision) []string {
	var out []string
	for _, f := range crm.DealFields {
		if rd.Field(f.Name) > authz.Hidden {
			out = append(out, f.Name)
		}
	}
	return out
}

// DealView is one deal with its activities.
type DealView struct {
	Deal       crm.Deal
	Activities []crm.Activity
	CanLog     bool
}

// Deal returns a deal the actor may read, with its activities.
func (s *Deals) Deal(ctx context.Context, a authz.Actor, id string) (DealView, error) {
	if !crm.ValidID(id) {
		return DealView{}, errDealNotFound
	}
	var out DealView
	err := core.Read(ctx, s.c, dealStoreOf, func(ctx context.Context, tx dealStore) ([]audit.Event, error) {
		r, err := tx.DealByID(ctx, id)
		if err != nil {
			return nil, core.NotFound(err, "deal")
		}
		rd := authz.Decide(a, authz.ActionRead, dealRes(r))
		if !rd.Allowed {
			return []audit.Event{core.Event(a, "deal.read", "deal", id, nil, audit.Denied, "not in scope")}, errDealNotFound
		}
		key, err := s.c.Keys.OpenDataKey(r.CustomerID, r.WrappedKey)
		if err != nil {
			return nil, errs.Wrap(errs.Internal, "service.Deal", "", err)
		}
		v := DealView{CanLog: authz.Decide(a, authz.ActionUpdate, dealRes(r)).Field(crm.DealTitle) == authz.Write}
		if v.Deal, err = openDeal(key, r, rd.Field); err != nil {
			return nil, err
		}
		fields := shownDealFields(rd)
		if rd.Field(crm.DealTitle) >= authz.Read { // activities are in the deal's notes class
			rows, err := tx.DealActivities(ctx, id, 100)
			if err != nil {
				return nil, err
			}
			for _, row := range rows {
				act, err := openActivity(key, row)
				if err != nil {
					return nil, err
				}
				v.Activities = append(v.Activities, act)
			}
			fields = append(fields, "activity.subject", "activity.body")
		}
		out = v
		return []audit.Event{core.Event(a, "deal.read", "deal", id, fields, audit.Success, "")}, nil
	})
	if err != nil {
		return DealView{}, err
	}
	return out, nil
}

// LogDealActivity records an activity about a deal, by whoever may change
// the deal. It is sealed under the deal's customer's key and shows on the
// customer's timeline too.
func (s *Deals) LogDealActivity(ctx context.Context, a authz.Actor, dealID string, in crm.ActivityInput) (crm.Activity, error) {
	if !crm.ValidID(dealID) {
		return crm.Activity{}, errDealNotFound
	}
	if err := in.Normalise(); err != nil {
		return crm.Activity{}, err
	}
	now := s.c.Now()
	act := crm.Activity{ID: crm.NewID("act"), DealID: dealID, OwnerID: a.UserID, Kind: in.Kind, Subject: in.Subject, Body: in.Body, DueAt: in.DueAt, CreatedAt: now}
	err := core.Change(ctx, s.c, dealStoreOf, func(tx dealStore) error {
		r, err := s.dealInScope(ctx, tx, a, dealID, "activity.create")
		if err != nil {
			return err
		}
		if authz.Decide(a, authz.ActionUpdate, dealRes(r)).Field(crm.DealTitle) < authz.Write {
			return errs.E(errs.Permission, "you may not log activities on this deal")
		}
		if a.UserID == authz.SystemUserID {
			act.OwnerID = r.OwnerID
		}
		act.CustomerID = r.CustomerID
		key, err := s.c.Keys.OpenDataKey(r.CustomerID, r.WrappedKey)
		if err != nil {
			return errs.Wrap(errs.Internal, "service.LogDealActivity", "", err)
		}
		row := store.ActivityRow{ID: act.ID, CustomerID: r.CustomerID, DealID: dealID, OwnerID: act.OwnerID, Kind: in.Kind, DueAt: in.DueAt, CreatedAt: now, UpdatedAt: now}
		return s.insertActivity(ctx, tx, a, key, row, in, "deal", dealID)
	})
	if err != nil {
		return crm.Activity{}, err
	}
	return act, nil
}

// dealStore is what the methods in deals.go read and write.
type dealStore interface {
	core.CustomerStore
	activityWriter
	DealActivities(ctx context.Context, dealID string, limit int) ([]store.ActivityRow, error)
	DealByID(ctx context.Context, id string) (store.DealRow, error)
	DeleteDeal(ctx context.Context, id string) error
	InsertDeal(ctx context.Context, d store.DealRow) error
	ListDeals(ctx context.Context, f store.DealFilter) ([]store.DealRow, error)
	ReplaceStages(ctx context.Context, stages []crm.Stage) error
	StageInUse(ctx context.Context, id string) (bool, error)
	Stages(ctx context.Context) ([]crm.Stage, error)
	UpdateDeal(ctx context.Context, d store.DealRow) error
}

// dealStoreOf is the compiler's check that the store has every method of dealStore.
func dealStoreOf(tx *store.Tx) dealStore { return tx }
