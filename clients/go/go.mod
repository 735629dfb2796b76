module memoric.dev/go/memoric

go 1.19

// The generated code is made by protoc-gen-go v1.28.1 and protoc-gen-go-grpc 1.0 (Debian 12's):
// it builds against google.golang.org/protobuf >= 1.28 and google.golang.org/grpc >= 1.33 (CI
// builds it in GOPATH mode with Debian's grpc-go 1.33.3, protobuf-go 1.28.1 and genproto).
require (
	google.golang.org/genproto v0.0.0-20200806141610-86f49bd18e98
	google.golang.org/grpc v1.33.3
	google.golang.org/protobuf v1.28.1
)
