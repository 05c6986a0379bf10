package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/receiptd/receiptd/devnet"
	"github.com/receiptd/receiptd/indexer"
	"github.com/receiptd/receiptd/internal/atomicfile"
	"github.com/receiptd/receiptd/proof"
	"github.com/receiptd/receiptd/protocol"
)

// networkFile names the copy of the followed network's spec and geneses
// that `receiptd run` keeps in its data directory.
const networkFile = "network.chain"

// writeNetwork records the network in the data directory (a chain file
// with no blocks), so that tools such as `proof export` know the spec.
func writeNetwork(dir string, net devnet.Network) error {
	return atomicfile.Write(filepath.Join(dir, networkFile), 0o644, func(w io.Writer) error {
		cw, err := devnet.NewChainWriter(w, net)
		if err != nil {
			return err
		}
		return cw.Close()
	})
}

func readNetwork(dir string) (devnet.Network, error) {
	f, err := os.Open(filepath.Join(dir, networkFile))
	if err != nil {
		return devnet.Network{}, err
	}
	defer f.Close()
	r, err := devnet.NewChainReader(f)
	if err != nil {
		return devnet.Network{}, err
	}
	return r.Network(), nil
}

// runProof is `receiptd proof export|verify|show`.
func runProof(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	usage := func() {
		fmt.Fprintln(stderr, "Usage: receiptd proof export --data DIR --id PROOFHASH --out FILE")
		fmt.Fprintln(stderr, "       receiptd proof verify [--spec HASH | --data DIR] FILE")
		fmt.Fprintln(stderr, "       receiptd proof show FILE")
		fmt.Fprintln(stderr, "\nA proof file holds a fraud proof and the consensus data it is checked against;")
		fmt.Fprintln(stderr, "verify needs nothing else: no node, no domain state. The file also carries the")
		fmt.Fprintln(stderr, "chain spec (chain id, gas limit) the check depends on: --spec (the hash, which is the")
		fmt.Fprintln(stderr, "consensus genesis header's parent hash) or --data (a receiptd data directory) checks")
		fmt.Fprintln(stderr, "it is your network's; without either, verify prints the hash for you to compare.")
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		usage()
		if len(args) == 0 {
			return usageError("proof: no subcommand")
		}
		return nil
	}
	switch args[0] {
	case "export":
		return runProofExport(args[1:], stdout, stderr)
	case "show":
		if len(args) == 2 && (args[1] == "-h" || args[1] == "--help") {
			usage()
			return nil
		}
		if len(args) != 2 {
			usage()
			return usageError("proof show: want one FILE")
		}
		b, err := readProofFile(args[1])
		if err != nil {
			return &exitError{code: 2, err: err}
		}
		return showEvidence(b, stdout)
	case "verify":
		return runProofVerify(ctx, args[1:], stdout, stderr)
	}
	usage()
	return usageError("proof: unknown subcommand %q", args[0])
}

// runProofVerify is `receiptd proof verify [--spec HASH | --data DIR]
// FILE`. Exit status: 0 the proof holds on the expected network, 1 it does
// not (or the file is for another network, or its check ran past
// --timeout), 2 unusable input or an interrupted check. The timeout matters without --spec or
// --data: the file's own chain spec sets the gas limit a re-executed
// transaction may spend.
func runProofVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("proof verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	specFlag := fs.String("spec", "", "hash of the chain spec the proof must be for (the consensus genesis header's parent hash)")
	data := fs.String("data", "", "data directory of a receiptd run: the proof must be for the network it follows")
	timeout := fs.Duration("timeout", time.Minute, "give up on the check's re-execution when it runs longer (a real network's block takes well under a second)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: receiptd proof verify [--spec HASH | --data DIR] [--timeout D] FILE")
		fmt.Fprintln(stderr, "\nChecks a proof file offline. Exit status: 0 the proof holds, 1 it does not (and why), 2 unusable input. Flags go before FILE.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError("proof verify: %v", err)
	}
	if fs.NArg() != 1 {
		return usageError("proof verify: want one FILE, after the flags")
	}
	if *specFlag != "" && *data != "" {
		return usageError("proof verify: --spec and --data exclude each other")
	}
	if *timeout <= 0 {
		return usageError("proof verify: --timeout %v: want more than 0", *timeout)
	}
	var want common.Hash
	switch {
	case *specFlag != "":
		h, err := parseHash(*specFlag)
		if err != nil {
			return usageError("proof verify: --spec %q: %v", *specFlag, err)
		}
		want = h
	case *data != "":
		net, err := readNetwork(*data)
		if err != nil {
			return &exitError{code: 2, err: fmt.Errorf("proof verify: network of %s: %w", *data, err)}
		}
		want = net.Spec.Hash()
	}
	b, err := readProofFile(fs.Arg(0))
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	e, _, err := proof.DecodeEvidence(b)
	if err != nil {
		return &exitError{code: 1, err: fmt.Errorf("proof does not hold: %w", err)}
	}
	spec := e.Spec.Hash()
	if want != (common.Hash{}) && spec != want {
		return &exitError{code: 1, err: fmt.Errorf("proof is for chain spec %s, not %s", spec, want)}
	}
	vctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	p, err := proof.VerifyEvidence(vctx, b)
	switch {
	case err != nil && ctx.Err() != nil:
		return &exitError{code: 2, err: fmt.Errorf("proof verify: interrupted before the check ended: %w", ctx.Err())}
	case errors.Is(err, context.DeadlineExceeded):
		return &exitError{code: 1, err: fmt.Errorf("proof not verified: its check ran past --timeout %v (the file's own chain spec sets how much gas a transaction may spend)", *timeout)}
	case err != nil:
		return &exitError{code: 1, err: fmt.Errorf("proof does not hold: %w", err)}
	}
	fmt.Fprintf(stdout, "valid: %s proof %s shows receipt %s of domain %d wrong, on chain spec %s\n", p.Kind(), p.Hash(), p.BadReceiptHash, p.Domain, spec)
	if want == (common.Hash{}) {
		fmt.Fprintf(stderr, "note: the chain spec comes from the file; check %s is your network's (--spec or --data checks it)\n", spec)
	}
	return nil
}

// readProofFile reads a proof file, refusing one larger than any proof
// file can be before reading it all.
func readProofFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, proof.MaxEvidenceBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > proof.MaxEvidenceBytes {
		return nil, fmt.Errorf("%s: over %d bytes, the most a proof file holds", path, proof.MaxEvidenceBytes)
	}
	return b, nil
}

// parseHash reads a 32-byte hash in hex, with or without 0x, and refuses
// anything else: common.HexToHash would pad, cut or zero a wrong one and
// look up another hash.
func parseHash(s string) (common.Hash, error) {
	b, err := hex.DecodeString(strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X"))
	if err != nil || len(b) != common.HashLength {
		return common.Hash{}, errors.New("want a 32-byte hash in hex (64 digits, 0x optional)")
	}
	return common.Hash(b), nil
}

func runProofExport(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("proof export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", defaultDataDir(), "data directory of a stopped receiptd run")
	id := fs.String("id", "", "the challenge id (the proof hash), as GraphQL and the logs show it")
	out := fs.String("out", "", "file to write")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError("proof export: %v", err)
	}
	if *id == "" || *out == "" {
		return usageError("proof export: --id and --out are required")
	}
	hash, err := parseHash(*id)
	if err != nil {
		return usageError("proof export: --id %q: %v (the challenge's proofHash, or proof= in the log)", *id, err)
	}
	b, err := exportEvidence(*data, hash)
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (%d bytes)\n", *out, len(b))
	return nil
}

// exportEvidence assembles a proof file from an index.
func exportEvidence(data string, id common.Hash) ([]byte, error) {
	net, err := readNetwork(data)
	if err != nil {
		return nil, fmt.Errorf("proof export: %w", err)
	}
	idx, err := indexer.Open(filepath.Join(data, "index"), indexer.Options{})
	if err != nil {
		return nil, fmt.Errorf("proof export: %w (is receiptd still running on this directory?)", err)
	}
	defer idx.Close()
	r, err := idx.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	c, err := r.Challenge(id)
	if err != nil {
		return nil, fmt.Errorf("proof export: %w", err)
	}
	bad, err := r.Receipt(c.BadReceipt)
	if err != nil {
		return nil, fmt.Errorf("proof export: bad receipt: %w", err)
	}
	parent, err := r.Receipt(bad.Receipt.ParentReceiptHash)
	if err != nil {
		return nil, fmt.Errorf("proof export: parent receipt: %w", err)
	}
	cb, err := r.ConsensusBlockByHash(bad.Receipt.ConsensusHash)
	if err != nil {
		return nil, fmt.Errorf("proof export: consensus block: %w", err)
	}
	ev := &proof.Evidence{Spec: net.Spec, Parent: parent.Receipt, Bad: bad.Receipt, Consensus: cb.Raw, Proof: c.Proof}
	return ev.MarshalBinary()
}

func showEvidence(b []byte, w io.Writer) error {
	e, p, err := proof.DecodeEvidence(b)
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	fmt.Fprintf(w, "proof        %s\n", p.Hash())
	fmt.Fprintf(w, "kind         %s\n", p.Kind())
	fmt.Fprintf(w, "domain       %d\n", p.Domain)
	fmt.Fprintf(w, "bad receipt  %s (domain block #%d, consensus block #%d %s)\n", p.BadReceiptHash, e.Bad.DomainNumber, e.Bad.ConsensusNumber, e.Bad.ConsensusHash)
	switch {
	case p.StateTransition != nil:
		st := p.StateTransition
		fmt.Fprintf(w, "phase        %s, trace entry %d (the receipt has %d)\n", st.Phase, st.Index, len(e.Bad.Trace))
		fmt.Fprintf(w, "witness      %d headers, %d codes, %d trie nodes\n", len(st.Witness.Headers), len(st.Witness.Codes), len(st.Witness.State))
	case p.BundleValidity != nil:
		fmt.Fprintf(w, "bundle       %d: true validity %s, claimed %s\n", p.BundleValidity.BundleIndex, p.BundleValidity.Validity, claimedValidity(&e.Bad, p.BundleValidity.BundleIndex))
	case p.ExecutionResult != nil:
		fmt.Fprintf(w, "field        %s\n", p.ExecutionResult.Field)
	}
	fmt.Fprintf(w, "sizes        proof %d bytes, file %d bytes\n", len(e.Proof), len(b))
	return nil
}

func claimedValidity(r *protocol.ExecutionReceipt, i uint32) string {
	if int(i) < len(r.InboxedBundles) {
		return r.InboxedBundles[i].Validity.String()
	}
	return "none"
}
