package crm

import (
	"strings"
	"testing"

	"strongroom.dev/strongroom/internal/errs"
)

func TestNormalise(t *testing.T) {
	for _, tt := range []struct {
		field, in, want string
		ok              bool
	}{
		{FieldEmail, " Wang@Example.COM ", "wang@example.com", true},
		{FieldEmail, "not-an-email", "", false},
		{FieldEmail, "a@b", "", false},
		{FieldEmail, "Name <a@example.com>", "", false},
		{FieldPhone, "+86 (138) 0013-8000", "+8613800138000", true},
		{FieldPhone, "138.0013.8000", "13800138000", true},
		{FieldPhone, "12-34", "", false},
		{FieldPhone, "call me", "", false},
		{FieldPhone, "1+2345678", "", false},
		{FieldNationalID, "11010119900307123x", "11010119900307123X", true},
		{FieldNationalID, "AB 12-34", "AB1234", true},
		{FieldNationalID, "12", "", false},
		{FieldNationalID, "1234;DROP", "", false},
		{FieldName, "  王小明 ", "王小明", true},
		{FieldName, strings.Repeat("名", 201), "", false},
		{FieldName, "bell\a", "", false},
		{FieldNotes, "line one\nline two", "line one\nline two", true},
		{FieldNotes, "bad\x00", "", false},
		{FieldName, "bad \xff", "", false},
	} {
		got, err := normaliseField(tt.field, tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("%s %q: got %q, %v; want %q ok=%v", tt.field, tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil {
			var e *errs.Error
			if !errs.Is(err, errs.Invalid) || !asField(err, &e) || e.Field != tt.field {
				t.Errorf("%s %q: error %v does not name the field", tt.field, tt.in, err)
			}
		}
	}
}

func asField(err error, e **errs.Error) bool {
	v, ok := err.(*errs.Error)
	*e = v
	return ok
}

func TestCustomerInputNormalise(t *testing.T) {
	s := func(v string) *string { return &v }
	if err := (&CustomerInput{Fields: map[string]*string{FieldEmail: s("a@example.com")}}).Normalise(true); !errs.Is(err, errs.Invalid) {
		t.Error("create without a name accepted")
	}
	if err := (&CustomerInput{Fields: map[string]*string{FieldName: s(" ")}}).Normalise(false); !errs.Is(err, errs.Invalid) {
		t.Error("update clearing the name accepted")
	}
	if err := (&CustomerInput{Fields: map[string]*string{FieldName: s("A")}, OwnerID: s("../etc")}).Normalise(true); !errs.Is(err, errs.Invalid) {
		t.Error("malformed owner id accepted")
	}
	if !ValidID(NewID("cus")) || ValidID("cus_XYZ") || ValidID("") || ValidID("_"+strings.Repeat("a", 32)) {
		t.Error("ValidID disagrees with NewID")
	}
}
