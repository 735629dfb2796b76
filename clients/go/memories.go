package memoric

import (
	"context"
	"io"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	memoricv1 "memoric.dev/go/memoric/gen/memoric/v1"
)

// Memories is MemoryService plus iterators over paged lists and the export stream.
type Memories struct {
	memoricv1.MemoryServiceClient
}

func newMemories(cc grpc.ClientConnInterface) *Memories {
	return &Memories{MemoryServiceClient: memoricv1.NewMemoryServiceClient(cc)}
}

// ListAll calls fn with every memory matching req, page after page; fn returning an error stops.
func (m *Memories) ListAll(ctx context.Context, req *memoricv1.ListMemoriesRequest, fn func(*memoricv1.Memory) error) error {
	r := proto.Clone(req).(*memoricv1.ListMemoriesRequest)
	for {
		page, err := m.ListMemories(ctx, r)
		if err != nil {
			return err
		}
		for _, mem := range page.GetMemories() {
			if err := fn(mem); err != nil {
				return err
			}
		}
		if page.GetNextPageToken() == "" {
			return nil
		}
		r.PageToken = page.GetNextPageToken()
	}
}

// ExportAll streams ExportMemories into fn. Before the first message, Unavailable is retried (as
// unary calls are) and Unauthenticated is recovered once by the client's session.
func (m *Memories) ExportAll(ctx context.Context, req *memoricv1.ExportMemoriesRequest, fn func(*memoricv1.ExportMemoriesResponse) error) error {
	const attempts = 4
	for n := 1; ; n++ {
		stream, err := m.ExportMemories(ctx, req)
		var first *memoricv1.ExportMemoriesResponse
		if err == nil {
			first, err = stream.Recv()
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			e := AsError(err)
			if e.Code == codes.Unavailable && n < attempts && ctx.Err() == nil {
				time.Sleep(time.Duration(n) * 100 * time.Millisecond)
				continue
			}
			return e
		}
		if err := fn(first); err != nil {
			return err
		}
		for {
			item, err := stream.Recv()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return AsError(err)
			}
			if err := fn(item); err != nil {
				return err
			}
		}
	}
}
