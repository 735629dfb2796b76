package memoric

import "google.golang.org/grpc"

// insecureOption is plaintext transport. grpc-go 1.33 (Debian 12) predates credentials/insecure;
// WithInsecure is deprecated in newer grpc-go but still there, so it builds against both.
func insecureOption() grpc.DialOption {
	return grpc.WithInsecure() //nolint:staticcheck // see above
}
