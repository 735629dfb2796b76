// The client acceptance scenario in Go (same steps and report as test/clients/scenario.ts).
// Reads its parameters as JSON on stdin, prints the report as one JSON line on stdout.
package main

import (
	"context"
	"encoding/json"
	"log"
	"os"
	"sort"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"memoric.dev/go/memoric"
	memoricv1 "memoric.dev/go/memoric/gen/memoric/v1"
)

type params struct {
	BaseURL  string            `json:"baseUrl"`
	Auth     map[string]string `json:"auth"`
	Tag      string            `json:"tag"`
	EndUsers bool              `json:"endUsers"`
	// OutageURL: only one create, through a proxy that resets connections until the harness restores it.
	OutageURL string `json:"outageUrl"`
	Expired   struct {
		Token        string `json:"token"`
		RefreshToken string `json:"refreshToken"`
	} `json:"expired"`
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

func main() {
	var p params
	must(json.NewDecoder(os.Stdin).Decode(&p))
	ctx := context.Background()
	opts := func() memoric.Options {
		return memoric.Options{
			BaseURL: p.BaseURL, APIKey: p.Auth["api_key"], Username: p.Auth["username"], Password: p.Auth["password"],
			Retry: memoric.RetryPolicy{InitialBackoff: 50 * time.Millisecond},
		}
	}
	if p.OutageURL != "" {
		outage(ctx, p, opts())
		return
	}
	client, err := memoric.New(ctx, opts())
	must(err)
	defer client.Close()
	me, err := client.Auth.GetCurrentUser(ctx, &memoricv1.GetCurrentUserRequest{})
	must(err)
	a, b := client.EndUser(p.Tag+"-alice"), client.EndUser(p.Tag+"-bob")
	if p.EndUsers {
		_, err = a.Ensure(ctx)
		must(err)
		_, err = b.Ensure(ctx)
		must(err)
	}
	var aIDs []string
	for _, c := range []string{p.Tag + " alice is allergic to peanuts", p.Tag + " alice prefers window seats"} {
		r, err := a.Memories.CreateMemory(ctx, &memoricv1.CreateMemoryRequest{Content: c, ThreadId: "t1"})
		must(err)
		aIDs = append(aIDs, r.GetMemory().GetId())
	}
	_, err = b.Memories.CreateMemory(ctx, &memoricv1.CreateMemoryRequest{Content: p.Tag + " bob likes peanuts too", ThreadId: "t1"})
	must(err)

	mine := func(c string) bool { return strings.HasPrefix(c, p.Tag) }
	search := func(who *memoric.EndUser) []string {
		res, err := who.Memories.SearchMemories(ctx, &memoricv1.SearchMemoriesRequest{Query: "peanuts", TopK: 10})
		must(err)
		out := []string{}
		for _, r := range res.GetResults() {
			if mine(r.GetMemory().GetContent()) {
				out = append(out, r.GetMemory().GetContent())
			}
		}
		sort.Strings(out)
		return out
	}
	exported := func(who *memoric.EndUser) []string {
		out := []string{}
		must(who.Memories.ExportAll(ctx, &memoricv1.ExportMemoriesRequest{}, func(r *memoricv1.ExportMemoriesResponse) error {
			if mine(r.GetMemory().GetContent()) {
				out = append(out, r.GetMemory().GetContent())
			}
			return nil
		}))
		sort.Strings(out)
		return out
	}
	searchA, searchB := search(a), search(b)
	exportA, exportB := exported(a), exported(b)
	listed := 0
	must(a.Memories.ListAll(ctx, &memoricv1.ListMemoriesRequest{PageSize: 1}, func(m *memoricv1.Memory) error {
		if mine(m.GetContent()) {
			listed++
		}
		return nil
	}))
	before, err := a.Memories.GetMemory(ctx, &memoricv1.GetMemoryRequest{Id: aIDs[0]})
	must(err)
	updated, err := a.Memories.UpdateMemory(ctx, &memoricv1.UpdateMemoryRequest{
		Id: aIDs[0], UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"content"}}, Content: p.Tag + " alice: peanuts AND tree nuts",
	})
	must(err)
	_, err = a.Memories.DeleteMemory(ctx, &memoricv1.DeleteMemoryRequest{Id: aIDs[1]})
	must(err)
	deletedGet := "OK"
	if _, err := a.Memories.GetMemory(ctx, &memoricv1.GetMemoryRequest{Id: aIDs[1]}); err != nil {
		deletedGet = memoric.AsError(err).CodeName()
	}

	validation := map[string]interface{}{"code": "OK", "fields": []string{}}
	if _, err := a.Memories.CreateMemory(ctx, &memoricv1.CreateMemoryRequest{Content: ""}); err != nil {
		e := memoric.AsError(err)
		fields := []string{}
		for _, v := range e.FieldViolations {
			fields = append(fields, v.Field)
		}
		validation = map[string]interface{}{"code": e.CodeName(), "fields": fields}
	}

	expired, err := memoric.New(ctx, memoric.Options{
		BaseURL: p.BaseURL, Token: p.Expired.Token, RefreshToken: p.Expired.RefreshToken, ExpiresIn: 15 * time.Minute,
	})
	must(err)
	defer expired.Close()
	who, err := expired.Auth.GetCurrentUser(ctx, &memoricv1.GetCurrentUserRequest{})
	must(err)

	// Lets the first CreateMemory reach the server, then loses its response (Unavailable).
	var keys []string
	lose := func(ctx context.Context, method string, req, reply interface{}, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, o ...grpc.CallOption) error {
		if !strings.HasSuffix(method, "/CreateMemory") {
			return invoker(ctx, method, req, reply, cc, o...)
		}
		keys = append(keys, req.(*memoricv1.CreateMemoryRequest).GetIdempotencyKey())
		if err := invoker(ctx, method, req, reply, cc, o...); err != nil || len(keys) > 1 {
			return err
		}
		return status.Error(codes.Unavailable, "injected: response lost after commit")
	}
	fo := opts()
	fo.Interceptors = []grpc.UnaryClientInterceptor{lose}
	flaky, err := memoric.New(ctx, fo)
	must(err)
	defer flaky.Close()
	retried, err := flaky.EndUser(p.Tag+"-alice").Memories.CreateMemory(ctx, &memoricv1.CreateMemoryRequest{Content: p.Tag + " alice retried", ThreadId: "t2"})
	must(err)
	copies := 0
	must(a.Memories.ListAll(ctx, &memoricv1.ListMemoriesRequest{Filter: &memoricv1.MemoryFilter{ThreadId: "t2"}}, func(m *memoricv1.Memory) error {
		if m.GetContent() == p.Tag+" alice retried" {
			copies++
		}
		return nil
	}))
	sameKey := len(keys) > 1
	for _, k := range keys {
		sameKey = sameKey && k != "" && k == keys[0]
	}

	// A delegated token (as a browser would get from its backend) sees only its end user's memories.
	var delegated interface{}
	if p.EndUsers {
		asAlice, err := memoric.New(ctx, memoric.Options{BaseURL: p.BaseURL, EndUserToken: func(ctx context.Context) (string, error) {
			r, err := a.IssueToken(ctx, &memoricv1.IssueEndUserTokenRequest{})
			return r.GetToken(), err
		}})
		must(err)
		defer asAlice.Close()
		res, err := asAlice.Memories.SearchMemories(ctx, &memoricv1.SearchMemoriesRequest{Query: "peanuts", TopK: 10})
		must(err)
		found := []string{}
		for _, r := range res.GetResults() {
			if mine(r.GetMemory().GetContent()) {
				found = append(found, r.GetMemory().GetContent())
			}
		}
		sort.Strings(found)
		other := "OK"
		if _, err := asAlice.Memories.CreateMemory(ctx, &memoricv1.CreateMemoryRequest{Content: p.Tag + " not mine", EndUserId: p.Tag + "-bob"}); err != nil {
			other = memoric.AsError(err).CodeName()
		}
		delegated = map[string]interface{}{"searchContents": found, "otherEndUser": other}
	}

	must(json.NewEncoder(os.Stdout).Encode(map[string]interface{}{
		"principal": me.GetPrincipalType(), "endUsers": p.EndUsers,
		"searchA": searchA, "searchB": searchB, "exportA": exportA, "exportB": exportB, "listedA": listed,
		"update": map[string]interface{}{
			"version": updated.GetMemory().GetVersion(), "previousVersion": before.GetMemory().GetVersion(),
			"content": updated.GetMemory().GetContent(), "topicKept": updated.GetMemory().GetTopic() == before.GetMemory().GetTopic(),
		},
		"deletedGet": deletedGet,
		"validation": validation,
		"refresh":    map[string]interface{}{"user": who.GetUser().GetId() == me.GetUser().GetId(), "refreshCount": expired.Session.RefreshCount()},
		"retry":      map[string]interface{}{"attempts": len(keys), "sameKey": sameKey, "replayed": retried.GetReplayed(), "copies": copies},
		"delegated":  delegated,
	}))
}

func outage(ctx context.Context, p params, o memoric.Options) {
	attempts := 0
	o.BaseURL = p.OutageURL
	o.Retry = memoric.RetryPolicy{MaxAttempts: 15, InitialBackoff: 200 * time.Millisecond, MaxBackoff: time.Second}
	o.Interceptors = []grpc.UnaryClientInterceptor{func(ctx context.Context, method string, req, reply interface{}, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		attempts++
		return invoker(ctx, method, req, reply, cc, opts...)
	}}
	client, err := memoric.New(ctx, o)
	must(err)
	defer client.Close()
	res, err := client.Memories.CreateMemory(ctx, &memoricv1.CreateMemoryRequest{Content: p.Tag + " written during an outage"})
	must(err)
	must(json.NewEncoder(os.Stdout).Encode(map[string]interface{}{"attempts": attempts, "id": res.GetMemory().GetId()}))
}
