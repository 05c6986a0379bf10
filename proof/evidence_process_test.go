package proof

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/rlp"
)

// TestVerifyEvidenceProcess is the child side of TestEveryProofVerifiesFromAFile:
// it verifies the proof file named by RECEIPTD_PROOF_FILE with nothing else.
func TestVerifyEvidenceProcess(t *testing.T) {
	path := os.Getenv("RECEIPTD_PROOF_FILE")
	if path == "" {
		t.Skip("the child side of TestEveryProofVerifiesFromAFile")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := VerifyEvidence(context.Background(), b)
	if err != nil {
		fmt.Println("REJECTED:", err)
		os.Exit(3)
	}
	fmt.Println("VALID:", p.Kind())
}

// Every proof, of every kind, verifies statelessly in a separate process
// from a proof file alone; the same file with a byte flipped does not.
func TestEveryProofVerifiesFromAFile(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process per proof")
	}
	f := newFixture(t)
	dir := t.TempDir()
	for i, c := range f.build(t) {
		t.Run(c.name, func(t *testing.T) {
			consensus, err := rlp.EncodeToBytes(f.blocks[c.bad.ConsensusHash])
			if err != nil {
				t.Fatal(err)
			}
			enc, _ := rlp.EncodeToBytes(c.proof)
			ev := &Evidence{Spec: f.spec, Parent: *f.honest[c.bad.DomainNumber-1], Bad: *c.bad, Consensus: consensus, Proof: enc}
			b, err := ev.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, fmt.Sprintf("proof-%d.bin", i))
			os.WriteFile(path, b, 0o644)
			if out := child(t, path); !strings.Contains(out, "VALID: "+c.proof.Kind().String()) {
				t.Fatalf("child did not verify the file:\n%s", out)
			}
			b[len(b)/2] ^= 0x80
			os.WriteFile(path, b, 0o644)
			if out := child(t, path); !strings.Contains(out, "REJECTED:") {
				t.Fatalf("child accepted a flipped file:\n%s", out)
			}
		})
	}
}

func child(t *testing.T, path string) string {
	cmd := exec.Command(os.Args[0], "-test.run=^TestVerifyEvidenceProcess$", "-test.v")
	cmd.Env = append(os.Environ(), "RECEIPTD_PROOF_FILE="+path)
	out, _ := cmd.CombinedOutput()
	return string(out)
}
