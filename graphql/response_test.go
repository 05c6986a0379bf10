package graphql

import (
	"bytes"
	"encoding/json"
	"testing"

	gql "github.com/graph-gophers/graphql-go"
	gqlerrors "github.com/graph-gophers/graphql-go/errors"
)

// encodeResponse writes what json.Encoder writes, for the fixture's
// answers and for errors.
func TestEncodeResponseMatchesEncoder(t *testing.T) {
	s, _ := newServer(t, nil)
	sess := s.newSession()
	defer sess.close()
	ctx := withSession(t.Context(), sess)
	resps := []*gql.Response{
		errorResponse("a <message> & more"),
		{Data: json.RawMessage(`null`), Errors: []*gqlerrors.QueryError{{Message: "x"}}},
	}
	for _, q := range []string{
		`{ receipts(first: 20) { edges { cursor node { hash number status verdict { valid field expected claimed } backerIds } } } }`,
		`{ __schema { types { name description } } }`,
		`{ receipt(hash: "0x01") { hash } }`,
	} {
		resps = append(resps, s.schema.Exec(ctx, q, "", nil))
	}
	for i, resp := range resps {
		var want, got bytes.Buffer
		if err := json.NewEncoder(&want).Encode(resp); err != nil {
			t.Fatal(err)
		}
		encodeResponse(&got, resp)
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("response %d:\n got %.300s\nwant %.300s", i, got.Bytes(), want.Bytes())
		}
	}
}
