package policy

import (
	"strings"
	"testing"
	"time"
)

func TestProfiles(t *testing.T) {
	t.Parallel()
	names := Profiles()
	want := []string{"github", "shopify", "slack", "standard-webhooks", "stripe", "svix"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("Profiles() = %v", names)
	}
	for _, n := range names {
		p, err := Profile(n)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Validate(); err != nil {
			t.Errorf("profile %s: %v", n, err)
		}
		if p.Profile != n || p.Timeout <= 0 || p.Scheme == "" {
			t.Errorf("profile %s incomplete: %+v", n, p)
		}
		// Each call returns a fresh copy.
		p.Backoff.Schedule = append(p.Backoff.Schedule[:0:0], time.Hour)
		q, _ := Profile(n)
		if len(q.Backoff.Schedule) > 0 && q.Backoff.Schedule[0] == time.Hour {
			t.Errorf("profile %s shares its schedule", n)
		}
	}
	if _, err := Profile("nope"); err == nil {
		t.Error("unknown profile accepted")
	}
	gh, _ := Profile(ProfileGitHub)
	if gh.MaxAttempts != 1 {
		t.Errorf("github retries: %d", gh.MaxAttempts)
	}
	sv, _ := Profile(ProfileSvix)
	if n, _ := sv.Backoff.Nominal(1); n != 5*time.Second {
		t.Errorf("svix first retry %v", n)
	}
}

func TestStandardWebhooks(t *testing.T) {
	t.Parallel()
	p := StandardWebhooks()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if p.MaxAttempts != len(StandardWebhooksSchedule())+1 || p.Backoff.Kind != Schedule || p.Backoff.Jitter != JitterProportional {
		t.Errorf("standard-webhooks: %+v", p)
	}
	if n := p.NominalAttempts(); n != 10 {
		t.Errorf("NominalAttempts = %d, want 10", n)
	}
	exp := ExponentialBackoff()
	if d, _ := exp.Nominal(30); d != exp.Cap || exp.Jitter != JitterFull {
		t.Errorf("exponential: retry 30 after %v, jitter %s", d, exp.Jitter)
	}
}
