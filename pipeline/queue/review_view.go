package queue

import (
	"bytes"
	"context"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/sohoa-vn/sohoa/ocr"
	"github.com/sohoa-vn/sohoa/pipeline"
	"github.com/sohoa-vn/sohoa/pipeline/fields"
)

// ReviewFields are the metadata fields the review screen shows side by side, by tag, in order.
var ReviewFields = []string{"typeName", "codeNumber", "codeNotation", "issuedDate", "organName", "subject", "signer"}

// FieldView is one metadata field of a document as the catalogue gives it and as its page reads it.
type FieldView struct {
	Tag       string `json:"field"`
	Catalogue string `json:"catalogue"`
	Page      string `json:"page"`
	// Mismatch: the page disagrees with the catalogue (a pipeline.Mismatch was recorded).
	Mismatch bool `json:"mismatch"`
}

// pageValues are the fields of f the review screen shows, by tag; empty ones are left out.
func pageValues(f fields.Fields) map[string]string {
	m := map[string]string{}
	for tag, v := range map[string]string{"typeName": f.TypeName.Text, "codeNumber": f.CodeNumber.Text,
		"codeNotation": f.CodeNotation.Text, "issuedDate": f.IssuedDate.Text, "organName": f.OrganName.Text,
		"subject": f.Subject.Text, "signer": f.Signer()} {
		if v != "" {
			m[tag] = v
		}
	}
	return m
}

// catalogueValue is the value of tag in the catalogue's metadata m.
func catalogueValue(m pipeline.DocMeta, tag string) string {
	switch tag {
	case "typeName":
		return m.TypeName
	case "codeNumber":
		return m.CodeNumber
	case "codeNotation":
		return m.CodeNotation
	case "issuedDate":
		return m.IssuedDate
	case "organName":
		return m.OrganName
	case "subject":
		return m.Subject
	case "signer":
		return m.Signer
	}
	return ""
}

// DocumentFields returns the ReviewFields of document doc of batch id: the
// catalogue's value (as submitted) and the value read from its first page
// (empty until the document is done). Nothing is returned of a secret document.
func (q *Queue) DocumentFields(ctx context.Context, id string, doc int) ([]FieldView, error) {
	b, err := q.structureBatch(ctx, id)
	if err != nil {
		return nil, err
	}
	docs := documents(b)
	if doc < 0 || doc >= len(docs) {
		return nil, fmt.Errorf("batch %s: document %d: %w", id, doc, ErrUnknownDocument)
	}
	dr := docs[doc]
	if dr.d.Meta.Mode == pipeline.ModeSecret || dr.f.Meta.Mode == pipeline.ModeSecret {
		return nil, nil
	}
	var m docMeta
	js, err := q.rdb.HGet(ctx, keyDocMeta(id), strconv.Itoa(doc)).Result()
	switch {
	case errors.Is(err, redis.Nil):
	case err != nil:
		return nil, fmt.Errorf("batch %s: document %d: fields read: %w", id, doc, err)
	default:
		if err := json.Unmarshal([]byte(js), &m); err != nil {
			return nil, fmt.Errorf("batch %s: document %d: fields read: %w", id, doc, err)
		}
	}
	out := make([]FieldView, 0, len(ReviewFields))
	for _, tag := range ReviewFields {
		out = append(out, FieldView{Tag: tag, Catalogue: catalogueValue(dr.d.Meta, tag), Page: m.Page[tag],
			Mismatch: slices.ContainsFunc(m.Mismatches, func(x pipeline.Mismatch) bool { return x.Field == tag })})
	}
	return out, nil
}

// PageWords returns the words read on a done page (document doc, 1-based
// page), in reading order, handwriting and stamp junk left out, with their
// boxes in the normalized image's pixels and their confidences (0..100).
func (q *Queue) PageWords(ctx context.Context, id string, doc, page int) ([]ocr.Word, error) {
	data, err := getAll(ctx, q.stores.Work, pageKey(id, doc, page))
	if err != nil {
		return nil, err
	}
	var pr pageResult
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&pr); err != nil {
		return nil, fmt.Errorf("page result %s: %w", pageKey(id, doc, page), err)
	}
	if pr.OCR == nil {
		return nil, nil
	}
	words := make([]ocr.Word, 0, len(pr.OCR.Words))
	for _, w := range pr.OCR.Words {
		if !w.Junk {
			words = append(words, w)
		}
	}
	return words, nil
}
