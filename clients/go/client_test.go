package memoric

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	memoricv1 "memoric.dev/go/memoric/gen/memoric/v1"
)

// An in-process server standing in for Memoric: it fails, hints and checks credentials on demand.
type fakeServer struct {
	memoricv1.UnimplementedMemoryServiceServer
	memoricv1.UnimplementedAuthServiceServer
	mu        sync.Mutex
	keys      []string
	failures  int
	hint      time.Duration
	refreshes int
	seenAuth  []string
	exports   int
}

func (f *fakeServer) CreateMemory(_ context.Context, req *memoricv1.CreateMemoryRequest) (*memoricv1.CreateMemoryResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys = append(f.keys, req.GetIdempotencyKey())
	if len(f.keys) <= f.failures {
		if f.hint > 0 {
			st, _ := status.New(codes.ResourceExhausted, "slow down").WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(f.hint)})
			return nil, st.Err()
		}
		return nil, status.Error(codes.Unavailable, "down")
	}
	return &memoricv1.CreateMemoryResponse{Memory: &memoricv1.Memory{Id: "m1", Content: req.GetContent(), EndUserId: req.GetEndUserId()}}, nil
}

func (f *fakeServer) ListMemories(ctx context.Context, _ *memoricv1.ListMemoriesRequest) (*memoricv1.ListMemoriesResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	f.mu.Lock()
	defer f.mu.Unlock()
	auth := ""
	if v := md.Get("authorization"); len(v) > 0 {
		auth = v[0]
	}
	f.seenAuth = append(f.seenAuth, auth)
	if auth != "Bearer fresh" {
		return nil, status.Error(codes.Unauthenticated, "expired")
	}
	return &memoricv1.ListMemoriesResponse{}, nil
}

func (f *fakeServer) ExportMemories(_ *memoricv1.ExportMemoriesRequest, stream memoricv1.MemoryService_ExportMemoriesServer) error {
	f.mu.Lock()
	f.exports++
	first := f.exports == 1
	f.mu.Unlock()
	if first {
		return status.Error(codes.Unavailable, "down")
	}
	for _, id := range []string{"m0", "m1", "m2"} {
		if err := stream.Send(&memoricv1.ExportMemoriesResponse{Memory: &memoricv1.Memory{Id: id}}); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeServer) Refresh(context.Context, *memoricv1.RefreshRequest) (*memoricv1.RefreshResponse, error) {
	f.mu.Lock()
	f.refreshes++
	f.mu.Unlock()
	time.Sleep(50 * time.Millisecond)
	return &memoricv1.RefreshResponse{AccessToken: "fresh", RefreshToken: "r2", ExpiresIn: 900}, nil
}

func start(t *testing.T, opts Options) (*fakeServer, *Client) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeServer{}
	srv := grpc.NewServer()
	memoricv1.RegisterMemoryServiceServer(srv, f)
	memoricv1.RegisterAuthServiceServer(srv, f)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	opts.BaseURL = "http://" + lis.Addr().String()
	opts.Retry = RetryPolicy{InitialBackoff: 10 * time.Millisecond, MaxHint: time.Second}
	c, err := New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return f, c
}

func TestRetriesWithOneIdempotencyKeyAndScopesEndUser(t *testing.T) {
	f, c := start(t, Options{APIKey: "mk_test"})
	f.failures = 2
	res, err := c.EndUser("user-1").Memories.CreateMemory(context.Background(), &memoricv1.CreateMemoryRequest{Content: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if res.GetMemory().GetEndUserId() != "user-1" {
		t.Fatalf("end_user_id not set: %q", res.GetMemory().GetEndUserId())
	}
	if len(f.keys) != 3 || f.keys[0] == "" || f.keys[0] != f.keys[1] || f.keys[1] != f.keys[2] || len(f.keys[0]) != 36 {
		t.Fatalf("want 3 attempts with one key, got %q", f.keys)
	}
}

func TestHonoursHintsAndRefusesLongOnes(t *testing.T) {
	f, c := start(t, Options{APIKey: "mk_test"})
	f.failures, f.hint = 1, 200*time.Millisecond
	begun := time.Now()
	if _, err := c.Memories.CreateMemory(context.Background(), &memoricv1.CreateMemoryRequest{Content: "x"}); err != nil {
		t.Fatal(err)
	}
	if time.Since(begun) < 200*time.Millisecond {
		t.Fatalf("did not wait for the hint")
	}
	f.keys, f.failures, f.hint = nil, 5, 3*time.Second
	_, err := c.Memories.CreateMemory(context.Background(), &memoricv1.CreateMemoryRequest{Content: "x"})
	e := AsError(err)
	if e == nil || e.CodeName() != "RESOURCE_EXHAUSTED" || e.RetryDelay != 3*time.Second || len(f.keys) != 1 {
		t.Fatalf("want one attempt and the hint exposed, got %v (%d attempts)", err, len(f.keys))
	}
}

func TestRefreshesBeforeExpiryOnceForConcurrentCalls(t *testing.T) {
	f, c := start(t, Options{Token: "old", RefreshToken: "r1", ExpiresIn: 3 * time.Second})
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Memories.ListMemories(context.Background(), &memoricv1.ListMemoriesRequest{}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if f.refreshes != 1 || c.Session.RefreshCount() != 1 {
		t.Fatalf("want one refresh, got %d (count %d)", f.refreshes, c.Session.RefreshCount())
	}
}

func TestRecoversOnceFromUnauthenticated(t *testing.T) {
	f, c := start(t, Options{Token: "old", RefreshToken: "r1", ExpiresIn: 15 * time.Minute})
	if _, err := c.Memories.ListMemories(context.Background(), &memoricv1.ListMemoriesRequest{}); err != nil {
		t.Fatal(err)
	}
	if len(f.seenAuth) != 2 || f.seenAuth[0] != "Bearer old" || f.seenAuth[1] != "Bearer fresh" {
		t.Fatalf("got %q", f.seenAuth)
	}
	_, stuck := start(t, Options{APIKey: "mk_wrong"})
	_, err := stuck.Memories.ListMemories(context.Background(), &memoricv1.ListMemoriesRequest{})
	if AsError(err).CodeName() != "UNAUTHENTICATED" {
		t.Fatalf("got %v", err)
	}
}

func TestExportRetriedBeforeItsFirstMessage(t *testing.T) {
	f, c := start(t, Options{APIKey: "mk_test"})
	var ids []string
	err := c.Memories.ExportAll(context.Background(), &memoricv1.ExportMemoriesRequest{}, func(r *memoricv1.ExportMemoriesResponse) error {
		ids = append(ids, r.GetMemory().GetId())
		return nil
	})
	if err != nil || len(ids) != 3 || f.exports != 2 {
		t.Fatalf("got %v, %q after %d exports", err, ids, f.exports)
	}
}
