// Package memoric is a thin client for Memoric: the generated gRPC clients (memoricv1) over one
// connection with per-RPC credentials that refresh themselves, retries with jittered backoff for
// Unavailable and ResourceExhausted (honouring the server's hint), idempotency keys on creates,
// default deadlines, end-user scoping and iterators over pages and exports.
//
//	c, err := memoric.New(ctx, memoric.Options{BaseURL: "http://localhost:8080", APIKey: key})
//	_, err = c.EndUser("user-123").Memories.CreateMemory(ctx, &memoricv1.CreateMemoryRequest{Content: "..."})
package memoric

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/url"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	memoricv1 "memoric.dev/go/memoric/gen/memoric/v1"
)

// Options configures a Client. Exactly one credential: APIKey, Username+Password, Token
// (optionally with RefreshToken and ExpiresIn), or EndUserToken; none for an anonymous client.
type Options struct {
	// BaseURL is "http://host:port" (plaintext) or "https://host[:port]" (TLS with the system roots).
	BaseURL      string
	APIKey       string
	Username     string
	Password     string
	Token        string
	RefreshToken string
	ExpiresIn    time.Duration
	// EndUserToken returns a delegated end-user token (called again after Unauthenticated).
	EndUserToken func(context.Context) (string, error)
	// Timeout is the deadline of each unary call whose context has none. Default 30 s; negative: none.
	Timeout time.Duration
	Retry   RetryPolicy
	// Interceptors run inside the client's own (they see every attempt).
	Interceptors []grpc.UnaryClientInterceptor
	DialOptions  []grpc.DialOption
}

// Client holds the service clients. EndUser scopes MemoryService to one end user.
type Client struct {
	Auth     memoricv1.AuthServiceClient
	Memories *Memories
	EndUsers memoricv1.EndUserServiceClient
	Audit    memoricv1.AuditServiceClient
	Session  *Session
	conn     *grpc.ClientConn
	cc       grpc.ClientConnInterface
}

// New dials the server (lazily: the first call connects).
func New(ctx context.Context, opts Options) (*Client, error) {
	u, err := url.Parse(opts.BaseURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("memoric: base URL %q: want http://host:port or https://host[:port]", opts.BaseURL)
	}
	target := u.Host
	dial := []grpc.DialOption{}
	if u.Scheme == "https" {
		if u.Port() == "" {
			target += ":443"
		}
		dial = append(dial, grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12})))
	} else {
		dial = append(dial, insecureOption())
	}
	session := &Session{
		apiKey: opts.APIKey, username: opts.Username, password: opts.Password, endUserToken: opts.EndUserToken,
		access: opts.Token, refresh: opts.RefreshToken, now: time.Now,
	}
	if opts.Token != "" && opts.ExpiresIn > 0 {
		session.lifetime, session.expiresAt = opts.ExpiresIn, time.Now().Add(opts.ExpiresIn)
	}
	chain := append([]grpc.UnaryClientInterceptor{idempotencyInterceptor, retryInterceptor(opts.Retry), authInterceptor(session)}, opts.Interceptors...)
	dial = append(dial, grpc.WithPerRPCCredentials(session), grpc.WithChainUnaryInterceptor(chain...))
	// Reconnect within seconds after an outage (gRPC's default backoff grows to two minutes, and
	// fail-fast calls meanwhile fail at once, so retries alone could not outlast it).
	dial = append(dial, grpc.WithConnectParams(grpc.ConnectParams{
		Backoff:           backoff.Config{BaseDelay: 200 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 5 * time.Second},
		MinConnectTimeout: 5 * time.Second,
	}))
	dial = append(dial, opts.DialOptions...)
	conn, err := grpc.DialContext(ctx, target, dial...)
	if err != nil {
		return nil, err
	}
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	cc := &deadlineConn{cc: conn, timeout: timeout}
	session.auth = memoricv1.NewAuthServiceClient(cc)
	return &Client{
		Auth:     memoricv1.NewAuthServiceClient(cc),
		Memories: newMemories(cc),
		EndUsers: memoricv1.NewEndUserServiceClient(cc),
		Audit:    memoricv1.NewAuditServiceClient(cc),
		Session:  session,
		conn:     conn,
		cc:       cc,
	}, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// EndUser is one end user of your product, named by your own id for them.
type EndUser struct {
	ID string
	// Memories is MemoryService with end_user_id set on every request.
	Memories *Memories
	client   *Client
}

// EndUser scopes the memory calls to one end user.
func (c *Client) EndUser(endUserID string) *EndUser {
	return &EndUser{ID: endUserID, Memories: newMemories(&scopedConn{cc: c.cc, endUserID: endUserID}), client: c}
}

// Ensure creates the end user if unknown (idempotent).
func (e *EndUser) Ensure(ctx context.Context) (*memoricv1.EndUser, error) {
	r, err := e.client.EndUsers.CreateEndUser(ctx, &memoricv1.CreateEndUserRequest{EndUserId: e.ID})
	return r.GetEndUser(), err
}

// IssueToken issues a delegated token for a browser or an agent acting for this end user.
func (e *EndUser) IssueToken(ctx context.Context, req *memoricv1.IssueEndUserTokenRequest) (*memoricv1.IssueEndUserTokenResponse, error) {
	r := proto.Clone(req).(*memoricv1.IssueEndUserTokenRequest)
	r.EndUserId = e.ID
	return e.client.EndUsers.IssueEndUserToken(ctx, r)
}

// Erase deletes the end user and all their memories.
func (e *EndUser) Erase(ctx context.Context) (*memoricv1.DeleteEndUserResponse, error) {
	return e.client.EndUsers.DeleteEndUser(ctx, &memoricv1.DeleteEndUserRequest{EndUserId: e.ID})
}

// deadlineConn gives unary calls without a deadline the default one.
type deadlineConn struct {
	cc      grpc.ClientConnInterface
	timeout time.Duration
}

func (d *deadlineConn) Invoke(ctx context.Context, method string, args, reply interface{}, opts ...grpc.CallOption) error {
	if _, ok := ctx.Deadline(); !ok && d.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d.timeout)
		defer cancel()
	}
	return d.cc.Invoke(ctx, method, args, reply, opts...)
}

func (d *deadlineConn) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	return d.cc.NewStream(ctx, desc, method, opts...)
}

// scopedConn sets end_user_id on every request message it sends.
type scopedConn struct {
	cc        grpc.ClientConnInterface
	endUserID string
}

func (s *scopedConn) Invoke(ctx context.Context, method string, args, reply interface{}, opts ...grpc.CallOption) error {
	return s.cc.Invoke(ctx, method, withEndUser(args, s.endUserID), reply, opts...)
}

func (s *scopedConn) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	cs, err := s.cc.NewStream(ctx, desc, method, opts...)
	if err != nil {
		return nil, err
	}
	return &scopedStream{ClientStream: cs, endUserID: s.endUserID}, nil
}

type scopedStream struct {
	grpc.ClientStream
	endUserID string
}

func (s *scopedStream) SendMsg(m interface{}) error {
	return s.ClientStream.SendMsg(withEndUser(m, s.endUserID))
}

// withEndUser returns a copy of the request with end_user_id set (the caller's message is left as is).
func withEndUser(m interface{}, endUserID string) interface{} {
	msg, ok := m.(proto.Message)
	if !ok {
		return m
	}
	field := msg.ProtoReflect().Descriptor().Fields().ByName("end_user_id")
	if field == nil || field.Kind() != protoreflect.StringKind {
		return m
	}
	c := proto.Clone(msg)
	c.ProtoReflect().Set(field, protoreflect.ValueOfString(endUserID))
	return c
}
