// The explorer queries the client checks: what an explorer front end would
// send, one per page of it. Each names the variables it needs; validate.mjs
// fills them from the live index. `wrong` are queries the schema must
// refuse, so that a validator that accepts anything fails the check.

export const explorer = {
  status: {
    query: `query Status {
  status {
    consensusNumber sourceHead lag syncing
    consensusHead { id number hash timestamp }
    domains { domain { domainId } verifiedHeight headHash stateRoot lag }
  }
  domains { id domainId blockCount transactionCount receiptCount bundleCount head { number hash } }
}`,
  },
  receiptsPage: {
    vars: ["domain"],
    query: `query ReceiptsPage($domain: Int!, $after: String) {
  receipts(where: {domain: $domain, numberFrom: 1}, orderBy: NUMBER_DESC, first: 10, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id hash number status confirmedBad verdict { valid field } backerIds } }
  }
  bad: receipts(where: {verdict: BAD, status: PENDING}, last: 5) {
    pageInfo { hasPreviousPage startCursor }
    nodes { hash number domain { domainId } }
  }
}`,
  },
  receiptByHash: {
    vars: ["receipt"],
    query: `query Receipt($hash: Bytes32!) {
  receipt(hash: $hash) {
    id hash number domainBlockHash parentReceiptHash consensusNumber firstSeen status confirmedBad
    domain { domainId }
    domainBlock { number hash }
    verdict { valid field expected claimed descendsFromBad }
    trace traceRoot finalStateRoot gasUsed
    fees { operators burned }
    backers { operatorId status stake }
    backerIds
    timeline { status consensusNumber consensusBlock { number hash } }
    inboxedBundles { index extrinsicsRoot validity { valid invalidKind txIndex digest } bundle { hash operatorId } }
    parent { hash number }
    challenge { proofHash kind status }
  }
}`,
  },
  bundles: {
    vars: ["domain"],
    query: `query Bundles($domain: Int!) {
  bundles(where: {domain: $domain}, orderBy: CHAIN_DESC, first: 5) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id hash consensusNumber index operatorId slot declaredGas admitted transactionHashes
      validity { valid invalidKind txIndex digest }
      operator { operatorId status }
      receipt { hash number }
    }
  }
}`,
  },
  domainBlock: {
    vars: ["domain", "number"],
    query: `query DomainBlock($domain: Int!, $number: Long!) {
  domainBlock(domain: $domain, number: $number) {
    id number hash parentHash stateRoot transactionsRoot receiptsRoot miner timestamp
    gasLimit gasUsed baseFeePerGas consensusNumber transactionCount honestReceiptHash
    parent { number hash }
    transactions(first: 20) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes {
        hash from to value nonce gas gasPrice type fate position status gasUsed contractAddress
        logs { index account topics data }
      }
    }
    receipts(first: 5) { nodes { hash verdict { valid field } backerIds } }
  }
}`,
  },
  operators: {
    vars: ["domain"],
    query: `query Operators($domain: Int!) {
  operators(where: {domain: $domain}, orderBy: ID_ASC, first: 20) {
    totalCount
    nodes {
      id operatorId domain { domainId } stake status publicKey rewards
      electionsWon bundleCount receiptsBacked faults slashes fees
      receipts(where: {verdict: BAD}, first: 3) { nodes { hash number } }
    }
  }
}`,
  },
  challenges: {
    query: `query Challenges {
  challenges(orderBy: CHAIN_DESC, first: 10) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id proofHash kind status opened proofSize
      domain { domainId }
      badReceipt { hash number verdict { field } }
      badReceiptHash
      operators { operatorId status }
      timeline { status consensusNumber reason }
    }
  }
}`,
  },
  node: {
    vars: ["receiptId", "blockId"],
    query: `query Nodes($receiptId: ID!, $blockId: ID!) {
  receipt: node(id: $receiptId) { id __typename ... on Receipt { hash number verdict { valid } } }
  block: node(id: $blockId) { id __typename ... on DomainBlock { number hash transactionCount } }
}`,
  },
  consensusBlocks: {
    query: `query Newest {
  consensusBlocks(last: 5) {
    totalCount
    pageInfo { hasPreviousPage startCursor }
    edges { cursor node { number hash slot timestamp author bundleCount proofHashes domainBlocks { domain { domainId } number } } }
  }
}`,
  },
  subscription: {
    subscription: true,
    query: `subscription Heads {
  newHeads { type number hash depth block { bundleCount } }
}`,
  },
};

export const wrong = {
  unknownField: `{ receipt(hash: "0x00") { hash colour } }`,
  wrongArgumentType: `{ receipts(first: "ten") { nodes { hash } } }`,
  missingRequiredArgument: `{ domainBlock(number: 1) { hash } }`,
  unknownEnumValue: `{ receipts(where: {verdict: MAYBE}) { nodes { hash } } }`,
  selectionOnScalar: `{ status { consensusNumber { value } } }`,
};
