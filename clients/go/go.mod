module memoric.dev/go/memoric

go 1.19

// The generated code is made by protoc-gen-go v1.28.1 and protoc-gen-go-grpc 1.0 (Debian 12's):
// it builds against google.golang.org/protobuf >= 1.28 and google.golang.org/grpc >= 1.33. CI builds
// it in GOPATH mode, offline, with Debian's grpc-go 1.33.3, protobuf-go 1.28.1, genproto and
// github.com/golang/protobuf 1.5.2 (grpc 1.33 still uses APIv1; 1.5 is the version backed by APIv2).
require (
	github.com/golang/protobuf v1.5.2 // indirect
	google.golang.org/genproto v0.0.0-20200526211855-cb27e3aa2013
	google.golang.org/grpc v1.33.3
	google.golang.org/protobuf v1.28.1
)
