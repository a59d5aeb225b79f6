package queue

import "testing"

// Every kind of retry step reads back as written, in the form Retry and
// Replace have always stored; malformed steps are refused, not read as
// document 0.
func TestRetryPlanText(t *testing.T) {
	for _, c := range []struct {
		s    step
		text string
	}{
		{pageStep(2, 5), "page 2 5"},
		{docStep(3), "doc 3"},
		{step{kind: stepBatch}, "batch"},
		{step{kind: stepPackage}, "package"},
		{dropPageStep(0, 1), "drop page 0 1"},
		{dropDocStep(12), "drop doc 12"},
	} {
		if got := c.s.String(); got != c.text {
			t.Errorf("%+v.String() = %q, want %q", c.s, got, c.text)
		}
		if back, err := parseStep(c.text); err != nil || back != c.s {
			t.Errorf("parseStep(%q) = %+v, %v; want %+v", c.text, back, err, c.s)
		}
	}
	for _, bad := range []string{"", "doc", "doc x", "doc -1", "page 1", "page 1 2 3", "drop", "drop doc", "batch 1", "retry", "drop page 1"} {
		if s, err := parseStep(bad); err == nil {
			t.Errorf("parseStep(%q) = %+v, want an error", bad, s)
		}
	}
	if _, err := parsePlan([]string{"doc 1", "nonsense"}); err == nil {
		t.Error("parsePlan with a bad step: no error")
	}
	for _, bad := range []string{"", "1", "1/", "/2", "a/2", "1/-2", "1/2/3"} {
		if r, err := parsePageRef(bad); err == nil {
			t.Errorf("parsePageRef(%q) = %+v, want an error", bad, r)
		}
	}
	if r, err := parsePageRef("3/7"); err != nil || r != (pageRef{3, 7}) || r.String() != "3/7" {
		t.Errorf("parsePageRef(3/7) = %+v, %v", r, err)
	}
}
