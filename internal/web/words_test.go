package web

import (
	"testing"

	"strongroom.dev/strongroom/internal/crm"
)

// TestStoredWordsTranslated: every value the UI shows through term — the
// default pipeline's stages (migration 0005), contact and feedback
// channels, transaction statuses — has a word in each language, so none
// shows as its stored English id in the Chinese UI.
func TestStoredWordsTranslated(t *testing.T) {
	want := map[string][]string{
		"stage":    {"lead", "qualified", "proposal", "negotiation", "won", "lost"},
		"channel":  append(append([]string{}, crm.Channels...), "survey", "store", "other"),
		"txstatus": crm.TransactionStatuses,
	}
	for prefix, values := range want {
		for _, v := range values {
			for _, lang := range []string{langEN, langZH} {
				if got := term(lang, prefix, v); got == v && lang == langZH {
					t.Errorf("%s %s %q has no word in %s", prefix, v, v, lang)
				}
				if _, ok := catalog[lang][prefix+"_"+v]; !ok {
					t.Errorf("%s lacks %s_%s", lang, prefix, v)
				}
			}
		}
	}
	// A stage an administrator named shows as named.
	if got := term(langZH, "stage", "tasting"); got != "tasting" {
		t.Errorf("a stage with no word shows as %q", got)
	}
}

// Counts take the plural their language needs; roles show by their
// names in the reader's language, a defined role as named.
func TestPluralAndRoleNames(t *testing.T) {
	for _, c := range []struct {
		lang string
		n    int
		want string
	}{{langEN, 0, "0 deals"}, {langEN, 1, "1 deal"}, {langEN, 3, "3 deals"}, {langZH, 1, "1 个商机"}, {langZH, 3, "3 个商机"}} {
		if got := plural(c.lang, c.n, "deal_count"); got != c.want {
			t.Errorf("plural(%s, %d) = %q, want %q", c.lang, c.n, got, c.want)
		}
	}
	for _, c := range []struct{ lang, roles, want string }{
		{langEN, "sales", "Sales"}, {langEN, "admin,finance", "Administrator, Finance"}, {langEN, "claims_clerk", "claims_clerk"},
		{langZH, "admin,finance", tr(langZH, "rolename_admin") + "、" + tr(langZH, "rolename_finance")}, {langEN, "", ""},
	} {
		if got := roleNames(c.lang, c.roles); got != c.want {
			t.Errorf("roleNames(%s, %q) = %q, want %q", c.lang, c.roles, got, c.want)
		}
	}
	if tr(langZH, "rolename_admin") == "Administrator" {
		t.Error("the administrator role has no Chinese name")
	}
}
