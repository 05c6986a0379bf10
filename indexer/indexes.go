package indexer

// indexSet is what one record version needs beside its primary key: the
// secondary entries (key, value) and the counters it adds one to.
type indexSet struct {
	entries  []indexEntry
	counters [][]byte
}

type indexEntry struct{ key, value []byte }

func (s *indexSet) entry(key kb, value []byte) {
	s.entries = append(s.entries, indexEntry{key: key, value: value})
}

func (s *indexSet) count(key kb) { s.counters = append(s.counters, key) }

func consensusIndexes(r *ConsensusBlockRecord) (s indexSet) {
	s.entry(newKey(pConsHash, "").hash(r.Hash), kb{}.u64(r.Number))
	return s
}

func bundleIndexes(r *BundleRecord) (s indexSet) {
	h := r.Hash[:]
	s.entry(newKey(pIndex, ixBundleByBlock).u64(r.ConsensusNumber).u32(r.Index), h)
	s.entry(newKey(pIndex, ixBundleByOperator).op(r.Operator).u64(r.ConsensusNumber).u32(r.Index), h)
	s.entry(newKey(pIndex, ixBundleByDomain).dom(r.Domain).u64(r.ConsensusNumber).u32(r.Index), h)
	s.count(newKey(pCounter, ctBundles).dom(r.Domain))
	s.count(newKey(pCounter, ctBundlesByOp).op(r.Operator))
	return s
}

func receiptIndexes(r *ReceiptRecord) (s indexSet) {
	s.entry(newKey(pIndex, ixReceiptByNumber).dom(r.Domain).u64(r.Number).hash(r.Hash), nil)
	s.entry(newKey(pIndex, ixReceiptByStatus).u8(uint8(r.Status)).dom(r.Domain).u64(r.Number).hash(r.Hash), nil)
	s.count(newKey(pCounter, ctReceipts).dom(r.Domain))
	s.count(newKey(pCounter, ctReceiptStatus).u8(uint8(r.Status)).dom(r.Domain))
	for _, op := range r.Backers {
		s.entry(newKey(pIndex, ixReceiptByBacker).op(op).u64(r.Number).hash(r.Hash), nil)
		s.count(newKey(pCounter, ctReceiptsBacked).op(op))
	}
	if !r.Verdict.Valid {
		s.entry(newKey(pIndex, ixReceiptBad).dom(r.Domain).u64(r.Number).hash(r.Hash), nil)
		s.count(newKey(pCounter, ctReceiptsBad).dom(r.Domain))
	}
	return s
}

func domainBlockIndexes(r *DomainBlockRecord) (s indexSet) {
	s.entry(newKey(pDomHash, "").hash(r.Hash), kb{}.dom(r.Domain).u64(r.Number))
	s.count(newKey(pCounter, ctDomainBlocks).dom(r.Domain))
	return s
}

func txIndexes(r *TxRecord) (s indexSet) {
	s.entry(txHashKey(r), nil)
	if r.Fate.Kind == TxIncluded {
		s.entry(newKey(pIndex, ixTxByBlock).dom(r.Domain).u64(r.Fate.DomainNumber).u32(r.Fate.Position), txKeySuffix(r))
		s.count(newKey(pCounter, ctTxs).dom(r.Domain))
	}
	return s
}

func operatorIndexes(r *OperatorRecord) (s indexSet) {
	s.entry(newKey(pIndex, ixOperatorByDomain).dom(r.Operator.Domain).op(r.Operator.ID), nil)
	return s
}

func challengeIndexes(r *ChallengeRecord) (s indexSet) {
	s.entry(newKey(pIndex, ixChallengeAll).u64(r.Opened).hash(r.ID), nil)
	s.entry(newKey(pIndex, ixChallengeStatus).u8(uint8(r.Status)).u64(r.Opened).hash(r.ID), nil)
	s.count(newKey(pCounter, ctChallenges).u8(uint8(r.Status)))
	return s
}
