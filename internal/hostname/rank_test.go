package hostname

import "testing"

func TestCoversStrings(t *testing.T) {
	for _, c := range []struct {
		b, h string
		want bool
	}{
		{"*", "a.example.com", true},
		{"*", "*", true},
		{"a.example.com", "*", false},
		{"*.example.com", "a.example.com", true},
		{"*.example.com", "*.a.example.com", true},
		{"*.example.com", "example.com", false},
		{"*.example.com", ".example.com", false},
		{"a.example.com", "a.example.com", true},
		{"a.example.com", "b.example.com", false},
	} {
		if got := Covers(c.b, c.h); got != c.want {
			t.Errorf("Covers(%q, %q) = %v, want %v", c.b, c.h, got, c.want)
		}
	}
}

func TestRank(t *testing.T) {
	exact := Rank([]string{"*.example.com", "a.example.com"})
	long := Rank([]string{"*.a.example.com"})
	short := Rank([]string{"*.example.com"})
	any := Rank([]string{"*"})
	if !(exact > long && long > short && short > any) {
		t.Errorf("ranks exact %d, *.a.example.com %d, *.example.com %d, * %d: want decreasing", exact, long, short, any)
	}
}
