// Quickstart: save a memory for one of your users and find it again.
//
//	MEMORIC_URL=http://localhost:8080 MEMORIC_API_KEY=mk_... go run ./examples/quickstart
package main

import (
	"context"
	"fmt"
	"log"
	"os"

	"memoric.dev/go/memoric"
	memoricv1 "memoric.dev/go/memoric/gen/memoric/v1"
)

func main() {
	ctx := context.Background()
	client, err := memoric.New(ctx, memoric.Options{BaseURL: os.Getenv("MEMORIC_URL"), APIKey: os.Getenv("MEMORIC_API_KEY")})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	alice := client.EndUser("user-123")
	if _, err := alice.Memories.CreateMemory(ctx, &memoricv1.CreateMemoryRequest{Content: "The user is allergic to peanuts", ThreadId: "chat-1"}); err != nil {
		log.Fatal(err)
	}
	res, err := alice.Memories.SearchMemories(ctx, &memoricv1.SearchMemoriesRequest{Query: "peanuts", TopK: 3})
	if err != nil {
		log.Fatal(err)
	}
	for _, hit := range res.GetResults() {
		fmt.Printf("%.2f %s\n", hit.GetScore(), hit.GetMemory().GetContent())
	}
}
