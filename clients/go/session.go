package memoric

import (
	"context"
	"sync"
	"time"

	memoricv1 "memoric.dev/go/memoric/gen/memoric/v1"
)

// Session is the credential behind a client. It is the client's per-RPC credentials: it hands out
// the bearer for each call, refreshes an access token shortly before it expires and, once per failed
// call, recovers from Unauthenticated (refresh, a new login or a new end-user token).
type Session struct {
	mu           sync.Mutex
	apiKey       string
	username     string
	password     string
	endUserToken func(context.Context) (string, error)
	auth         memoricv1.AuthServiceClient // public calls only (Login, Refresh)
	access       string
	refresh      string
	expiresAt    time.Time
	lifetime     time.Duration
	refreshes    int
	now          func() time.Time
}

// RefreshCount is how many times an access token was refreshed (or re-obtained) so far.
func (s *Session) RefreshCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshes
}

// GetRequestMetadata implements credentials.PerRPCCredentials.
func (s *Session) GetRequestMetadata(ctx context.Context, _ ...string) (map[string]string, error) {
	if s.skips(ctx) {
		return nil, nil
	}
	bearer, err := s.bearer(ctx)
	if err != nil || bearer == "" {
		return nil, err
	}
	return map[string]string{"authorization": "Bearer " + bearer}, nil
}

// RequireTransportSecurity implements credentials.PerRPCCredentials: plaintext is allowed for local
// servers; use an https base URL in production.
func (s *Session) RequireTransportSecurity() bool { return false }

func (s *Session) current() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.apiKey != "" {
		return s.apiKey
	}
	return s.access
}

func (s *Session) bearer(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.apiKey != "" {
		return s.apiKey, nil
	}
	if s.access == "" {
		if s.username == "" && s.endUserToken == nil {
			return "", nil
		}
		return s.renewLocked(ctx, "")
	}
	if s.refresh != "" && s.lifetime > 0 {
		margin := s.lifetime / 10
		if margin < 5*time.Second {
			margin = 5 * time.Second
		}
		if !s.now().Before(s.expiresAt.Add(-margin)) {
			return s.renewLocked(ctx, s.access)
		}
	}
	return s.access, nil
}

// recover is called after Unauthenticated for `failed`: it reports whether a new bearer is in place.
func (s *Session) recover(ctx context.Context, failed string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.apiKey != "" || (s.username == "" && s.endUserToken == nil && s.refresh == "") {
		return false
	}
	renewed, err := s.renewLocked(ctx, failed)
	return err == nil && renewed != "" && renewed != failed
}

func (s *Session) renewLocked(ctx context.Context, stale string) (string, error) {
	if s.access != "" && s.access != stale {
		return s.access, nil // renewed by another call meanwhile
	}
	had := s.access != ""
	switch {
	case s.endUserToken != nil:
		tok, err := s.endUserToken(ctx)
		if err != nil {
			return "", err
		}
		s.access, s.refresh, s.lifetime = tok, "", 0
	default:
		refreshed := false
		if s.refresh != "" {
			r, err := s.auth.Refresh(s.withoutAuth(ctx), &memoricv1.RefreshRequest{RefreshToken: s.refresh})
			if err == nil {
				s.set(r.GetAccessToken(), r.GetRefreshToken(), r.GetExpiresIn())
				refreshed = true
			} else if s.username == "" {
				return "", err
			}
		}
		if !refreshed {
			if s.username == "" {
				return "", nil
			}
			r, err := s.auth.Login(s.withoutAuth(ctx), &memoricv1.LoginRequest{Username: s.username, Password: s.password})
			if err != nil {
				return "", err
			}
			s.set(r.GetAccessToken(), r.GetRefreshToken(), r.GetExpiresIn())
		}
	}
	if had {
		s.refreshes++
	}
	return s.access, nil
}

func (s *Session) set(access, refresh string, expiresIn int32) {
	s.access, s.refresh = access, refresh
	s.lifetime = time.Duration(expiresIn) * time.Second
	s.expiresAt = s.now().Add(s.lifetime)
}

type skipAuthKey struct{}

// withoutAuth marks the session's own Login and Refresh calls: this session adds no bearer to them
// (another client's session, called from an EndUserToken function, is not affected).
func (s *Session) withoutAuth(ctx context.Context) context.Context {
	return context.WithValue(ctx, skipAuthKey{}, s)
}

func (s *Session) skips(ctx context.Context) bool {
	v, _ := ctx.Value(skipAuthKey{}).(*Session)
	return v == s
}
