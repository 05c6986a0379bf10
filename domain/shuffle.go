package domain

import (
	"math/rand/v2"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// shuffleSeedLabel prefixes the consensus randomness in the shuffle seed.
const shuffleSeedLabel = "extrinsics-shuffling-seed"

// ShuffleSeed is keccak256("extrinsics-shuffling-seed" ‖ randomness).
func ShuffleSeed(randomness common.Hash) [32]byte {
	return crypto.Keccak256Hash([]byte(shuffleSeedLabel), randomness[:])
}

// Shuffle orders a block's transactions (DESIGN.md §1.5 step 2): position k
// first holds the sender of the k-th tx, the positions are shuffled with
// ChaCha8 seeded by ShuffleSeed, and each position then takes its sender's
// next tx. Each sender's txs keep their relative order, so nonces stay in
// sequence, while senders interleave unpredictably. txs and senders are
// parallel; the result is a new slice.
func Shuffle(randomness common.Hash, txs []*types.Transaction, senders []common.Address) []*types.Transaction {
	positions := make([]common.Address, len(senders))
	copy(positions, senders)
	queues := make(map[common.Address][]*types.Transaction)
	for i, tx := range txs {
		queues[senders[i]] = append(queues[senders[i]], tx)
	}
	rng := rand.New(rand.NewChaCha8(ShuffleSeed(randomness)))
	rng.Shuffle(len(positions), func(i, j int) { positions[i], positions[j] = positions[j], positions[i] })

	out := make([]*types.Transaction, len(positions))
	for k, sender := range positions {
		q := queues[sender]
		out[k], queues[sender] = q[0], q[1:]
	}
	return out
}
