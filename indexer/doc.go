// Package indexer is receiptd's index of the followed chain in pebble:
// consensus blocks, bundles (with validity), execution receipts (with
// verdict, backers and status), domain blocks, transactions (with their
// fate), operators (with their figures), challenges, per-domain progress
// and verifier checkpoints. The GraphQL layer reads it; the verifier writes
// it.
//
// # Guarantees
//
// One atomic batch per consensus block, synced at once or, with
// Options.SyncInterval, within the interval: Commit(n) writes everything
// the block changed together with the progress record, so a restart
// resumes exactly after the last durable commit and a crash never leaves
// half a block. Each batch also stores an undo record (the previous value, or
// absence, of every key it changed), so Rollback(to) returns the index to
// what it was after block to, in one batch, for reorgs up to
// Options.UndoRetention blocks deep. A rolled-back and re-followed index
// equals one that only saw the winning branch: Digest compares them.
//
// Reads go through a Reader, one pebble snapshot: a GraphQL request sees one
// block's state throughout. Listings are cursor-paged; a cursor is the index
// key of an item, and a page seeks to it, so page 10,000 costs what page 1
// does. Counts come from counter keys kept in the same batches.
//
// Stored bytes that do not decode are ErrCorrupt, never a panic. Every
// record is one version byte (1) followed by its RLP list; decoding rejects
// another version, trailing bytes, non-canonical integers and zero enums.
//
// # Key layout
//
// Integers are big-endian fixed width (so byte order is numeric order):
// num and cnum 8 bytes (domain / consensus block numbers), dom 4 (DomainID),
// op 8 (OperatorID), idx and pos 4, status 1; hashes are 32 bytes.
//
//	m "schema"                      uint32 SchemaVersion, written at creation
//	m "progress"                    Progress{Number, Hash} of the newest block
//	u cnum                          undo record of block cnum (newest Retention)
//	k cnum                          verifier checkpoint blob (newest Retention+1)
//	n cnum                          canonical consensus hash
//	c cnum                          ConsensusBlockRecord
//	C hash                          → cnum: consensus block by hash
//	b hash                          BundleRecord
//	r hash                          ReceiptRecord
//	d dom num                       DomainBlockRecord
//	D hash                          → dom num: domain block by hash
//	t cnum idx ext hash             TxRecord, one per occurrence in a bundle
//	o op                            OperatorRecord (Operators: by id)
//	h id                            ChallengeRecord (id = proof hash)
//	p dom                           DomainProgress
//
// Secondary indexes (prefix x; value empty unless shown):
//
//	x "bc" cnum idx                 → bundle hash: bundles by consensus block
//	x "bo" op cnum idx              → bundle hash: bundles by operator
//	x "bd" dom cnum idx             → bundle hash: bundles by domain
//	x "rn" dom num hash             receipts by domain and number (all receipts)
//	x "rs" status dom num hash      receipts by status (then domain, number)
//	x "ro" op num hash              receipts by backing operator
//	x "rv" dom num hash             receipts with a bad verdict
//	x "co" opened hash              challenges in opening order
//	x "cs" status opened hash       challenges by status
//	x "tb" dom num pos              → tx key suffix: included txs by domain block
//	x "th" hash cnum idx ext        occurrences of a tx by hash
//	x "od" dom op                   operators by domain
//
// Counters (prefix #; value uint64; absent when zero):
//
//	# "r" dom                       receipts per domain
//	# "s" status dom                receipts per status and domain
//	# "o" op                        receipts backed per operator
//	# "v" dom                       receipts with a bad verdict per domain
//	# "b" dom                       bundles per domain
//	# "B" op                        bundles per operator
//	# "c" status                    challenges per status
//	# "d" dom                       domain blocks per domain
//	# "t" dom                       included txs per domain
//
// Each Writer method moves a record's secondary entries and counters from
// what its old version needed to what its new one needs, so a receipt
// moving from pending to confirmed leaves the pending listing and count and
// enters the confirmed ones in the same batch.
//
// # Decisions
//
//   - The first Commit is block 0, the consensus genesis; then number must be
//     progress+1 (ErrOutOfOrder).
//   - Records that change (receipts, operators, challenges) are created with
//     Put (ErrExists if present) and changed with Update (ErrNotFound if
//     absent); immutable ones (blocks, bundles, txs) are replaced by Put. The
//     Writer fills FirstSeen/Opened and appends status changes to timelines.
//   - Receipt status changes are not checked against a transition table:
//     the block tree is the verifier's, and a pruned ER that an operator
//     submits again becomes pending again. Challenge status changes are
//     (ChallengeStatus.CanBecome).
//   - A transaction hash may occur several times (a duplicate in the same
//     consensus block, or first in an Invalid bundle and later included), so
//     transactions are keyed by occurrence; Reader.Tx picks the included one.
//     An occurrence is written by the commit of the consensus block carrying
//     it (PutTx checks), so its key is new and the Writer reads no earlier
//     version: indexing a transaction costs no lookup of its random key.
//   - A Writer reads each key from the store at most once per block: the
//     value it read is the one the undo record keeps.
//   - Digest leaves out the undo log: which undo records exist depends on
//     history (the retention window drops them and Rollback cannot bring them
//     back), not on what the index says. Checkpoint deletions are undone like
//     any other write, so checkpoints are part of the digest.
//   - Filters that are not a key prefix of the chosen index are applied to
//     the entries scanned: such a page costs the entries it skips.
//
// # Concurrency
//
// Commit and Rollback are serialised; Readers, Digest and Dump may run
// alongside them and each other. A Writer belongs to the goroutine running
// Commit's function. Close waits for calls in flight and closes Readers
// left open, reporting them.
//
// indexer imports protocol, go-ethereum's common and rlp, and pebble
// (through internal/kv); nothing of receiptd's imports from it but the
// verifier, graphql and cmd packages.
package indexer
