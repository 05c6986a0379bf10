package indexer

import "errors"

// Errors callers branch on. Each is returned wrapped with the particulars.
var (
	// ErrNotFound: no record under that hash, number or id.
	ErrNotFound = errors.New("indexer: not found")
	// ErrExists: a Put of a record that already exists and must be updated
	// instead (receipts, operators, challenges).
	ErrExists = errors.New("indexer: record exists")
	// ErrCorrupt: stored bytes do not decode to what their key says they
	// are. The index must be rebuilt; it is never a panic.
	ErrCorrupt = errors.New("indexer: corrupt record")
	// ErrSchemaVersion: the index on disk was written by another schema.
	ErrSchemaVersion = errors.New("indexer: schema version mismatch")
	// ErrOutOfOrder: Commit of a block that does not follow the progress,
	// or a consensus block that does not extend the committed one.
	ErrOutOfOrder = errors.New("indexer: block out of order")
	// ErrRollbackTooDeep: Rollback past the undo retention window.
	ErrRollbackTooDeep = errors.New("indexer: rollback deeper than the undo window")
	// ErrInvalidRecord: a Writer was given a record it refuses to store
	// (a zero enum, a block number other than the one being committed).
	ErrInvalidRecord = errors.New("indexer: invalid record")
	// ErrBadTransition: a status change the transition table forbids.
	ErrBadTransition = errors.New("indexer: status transition not allowed")
	// ErrBadCursor: a cursor that does not belong to the listing.
	ErrBadCursor = errors.New("indexer: cursor does not belong to this listing")
	// ErrBadQuery: contradictory page arguments.
	ErrBadQuery = errors.New("indexer: bad query")
	// ErrClosed: use of a closed Index, Reader or finished Writer.
	ErrClosed = errors.New("indexer: closed")
)
