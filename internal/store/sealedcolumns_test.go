package store_test

import (
	"strings"
	"testing"

	"strongroom.dev/strongroom/internal/store"
	"strongroom.dev/strongroom/internal/testkit"
)

// TestSealedColumnsAreClassified: every sealed column (…_ct) of the
// migrated schema says whose key seals it, so that a new table of a
// customer's sealed values cannot be missed by the per-customer key
// rotation (which would leave its values under a key it replaced); and
// every column named there exists.
func TestSealedColumnsAreClassified(t *testing.T) {
	db := testkit.NewSQLite(t)
	db.Open(t).Close()
	raw := db.Raw(t)
	rows, err := raw.Query("SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' AND p.name LIKE '%\\_ct' ESCAPE '\\'")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	known := store.SealedColumns()
	seen := map[string]bool{}
	for rows.Next() {
		var table, col string
		if err := rows.Scan(&table, &col); err != nil {
			t.Fatal(err)
		}
		name := table + "." + col
		seen[name] = true
		if _, ok := known[name]; !ok {
			t.Errorf("%s is sealed but store.SealedColumns does not say under whose key: add it to customerSealed (re-sealed by RotateKey) or notCustomerSealed", name)
		}
	}
	for name := range known {
		if !seen[name] && !strings.HasPrefix(name, "#") {
			t.Errorf("store.SealedColumns names %s, which the schema does not have", name)
		}
	}
}
