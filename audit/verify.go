package audit

import (
	"context"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm"
)

// judgement is the outcome of verifying one block.
type judgement struct {
	verdict Verdict
	reason  Reason
	detail  string
}

func valid(r Reason) judgement { return judgement{verdict: VerdictValid, reason: r} }

func invalid(r Reason, err error) judgement {
	return judgement{verdict: VerdictInvalid, reason: r, detail: err.Error()}
}

// executor verifies blocks one at a time against the chain that stands.
// Only the executor goroutine uses it.
type executor struct {
	chain       *chain
	keeper      *stateKeeper
	processor   *core.StateProcessor
	validator   *core.BlockValidator // only ValidateState, which needs no *core.BlockChain
	jumpDests   vm.JumpDestCache
	precompiles *vm.PrecompileCache
}

// verify judges b, whose body has the given roots, and, when it is valid,
// makes it the head. The error is reserved for failures of the auditor
// itself (its state is inconsistent), never for a bad block.
func (e *executor) verify(ctx context.Context, b *types.Block, roots bodyRoots) (judgement, error) {
	number, hash := b.NumberU64(), b.Hash()
	if number == 0 {
		if hash != e.chain.genesis.Hash() {
			return invalid(ReasonGenesisMismatch, fmt.Errorf("block 0 is %x, genesis is %x", hash, e.chain.genesis.Hash())), nil
		}
		return valid(ReasonKnown), nil
	}
	if e.chain.has(hash, number) {
		return valid(ReasonKnown), nil
	}
	parent := e.chain.block(b.ParentHash())
	if parent == nil || parent.NumberU64()+1 != number {
		return invalid(ReasonUnknownParent, fmt.Errorf("parent %x of #%d is not a standing block", b.ParentHash(), number)), nil
	}
	if err := e.chain.engine.VerifyHeader(e.chain, b.Header()); err != nil {
		return invalid(classifyHeaderError(err), err), nil
	}
	if err := validateBody(e.chain, b, roots); err != nil {
		return invalid(ReasonBody, err), nil
	}
	st, err := e.keeper.stateFor(ctx, parent)
	if errors.Is(err, errStateUnavailable) {
		return invalid(ReasonStateUnavailable, err), nil
	}
	if err != nil {
		return judgement{}, err
	}
	if reason, err := e.execute(ctx, b, st); err != nil {
		e.keeper.invalidate()
		return invalid(reason, err), nil
	}
	e.chain.add(b)
	e.chain.setHead(b)
	if err := e.keeper.advance(b, st); err != nil {
		return judgement{}, err
	}
	return valid(ReasonNone), nil
}

// execute runs b on st with core.StateProcessor and checks the result with
// core.BlockValidator.ValidateState, which also computes the state root.
func (e *executor) execute(ctx context.Context, b *types.Block, st *state.StateDB) (Reason, error) {
	res, err := e.processor.Process(ctx, b, st, e.jumpDests, e.precompiles, vm.Config{}, nil)
	if err != nil {
		return classifyProcessError(err), err
	}
	if err := e.validator.ValidateState(b, st, res, false); err != nil {
		return classifyStateError(err), err
	}
	return ReasonNone, nil
}

// replay re-executes a standing block during a state rebuild.
func (e *executor) replay(ctx context.Context, b *types.Block, st *state.StateDB) error {
	if _, err := e.execute(ctx, b, st); err != nil {
		return err
	}
	return nil
}
