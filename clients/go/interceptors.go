package memoric

import (
	"context"
	crand "crypto/rand"
	"math/rand"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	memoricv1 "memoric.dev/go/memoric/gen/memoric/v1"
)

// RetryPolicy shapes retries of Unavailable and of ResourceExhausted with a server hint.
type RetryPolicy struct {
	// MaxAttempts in all, including the first. Default 4; 1 disables retries.
	MaxAttempts int
	// InitialBackoff is doubled per attempt (full jitter). Default 200 ms.
	InitialBackoff time.Duration
	// MaxBackoff caps backoff without a hint. Default 5 s.
	MaxBackoff time.Duration
	// MaxHint: a server hint above it is not waited for. Default 30 s.
	MaxHint time.Duration
}

// Not safe to send twice: a retry could spend a credential or create a second account or key.
var neverRetried = map[string]bool{
	"Register": true, "Refresh": true, "ChangePassword": true, "CreateApiKey": true, "CreateServiceAccount": true,
}

func methodName(full string) string { return full[strings.LastIndex(full, "/")+1:] }

func newKey() string {
	b := make([]byte, 16)
	_, _ = crand.Read(b)
	b[6], b[8] = (b[6]&0x0f)|0x40, (b[8]&0x3f)|0x80
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hex[c>>4], hex[c&0x0f])
	}
	return string(out)
}

// idempotencyInterceptor gives creates without a key one, once, before any retry.
func idempotencyInterceptor(ctx context.Context, method string, req, reply interface{}, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	switch r := req.(type) {
	case *memoricv1.CreateMemoryRequest:
		if r.IdempotencyKey == "" {
			r.IdempotencyKey = newKey()
		}
	case *memoricv1.BatchCreateMemoriesRequest:
		for _, item := range r.Memories {
			if item.IdempotencyKey == "" {
				item.IdempotencyKey = newKey()
			}
		}
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}

func retryInterceptor(p RetryPolicy) grpc.UnaryClientInterceptor {
	if p.MaxAttempts == 0 {
		p.MaxAttempts = 4
	}
	if p.InitialBackoff == 0 {
		p.InitialBackoff = 200 * time.Millisecond
	}
	if p.MaxBackoff == 0 {
		p.MaxBackoff = 5 * time.Second
	}
	if p.MaxHint == 0 {
		p.MaxHint = 30 * time.Second
	}
	return func(ctx context.Context, method string, req, reply interface{}, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		for n := 1; ; n++ {
			err := invoker(ctx, method, req, reply, cc, opts...)
			if err == nil {
				return nil
			}
			e := AsError(err)
			hint := e.RetryDelay
			retryable := e.Code == codes.Unavailable || (e.Code == codes.ResourceExhausted && hint > 0)
			if !retryable || n >= p.MaxAttempts || neverRetried[methodName(method)] || hint > p.MaxHint {
				return e
			}
			delay := hint + time.Duration(rand.Float64()*0.2*float64(hint))
			if hint == 0 {
				backoff := p.InitialBackoff << (n - 1)
				if backoff > p.MaxBackoff || backoff <= 0 {
					backoff = p.MaxBackoff
				}
				delay = time.Duration(rand.Float64() * float64(backoff))
			}
			if dl, ok := ctx.Deadline(); ok && time.Now().Add(delay).After(dl) {
				return e
			}
			select {
			case <-ctx.Done():
				return AsError(status.FromContextError(ctx.Err()).Err())
			case <-time.After(delay):
			}
		}
	}
}

// authInterceptor recovers once from Unauthenticated: a refreshed (or re-obtained) token, then the call again.
func authInterceptor(s *Session) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply interface{}, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if s.skips(ctx) {
			return invoker(ctx, method, req, reply, cc, opts...)
		}
		used := s.current()
		err := invoker(ctx, method, req, reply, cc, opts...)
		if status.Code(err) != codes.Unauthenticated || !s.recover(ctx, used) {
			return err
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}

var _ credentials.PerRPCCredentials = (*Session)(nil)
