package mets

import (
	"encoding/xml"
	"io"
)

// Premis is a PREMIS 3 document: the objects (files) with their fixity, the
// events that made them and the agents that took part.
type Premis struct {
	XMLName xml.Name `xml:"premis"`
	NS      string   `xml:"xmlns,attr"`
	XSI     string   `xml:"xmlns:xsi,attr"`
	Version string   `xml:"version,attr"`
	Objects []Object `xml:"object"`
	Events  []Event  `xml:"event"`
	Agents  []PAgent `xml:"agent"`
}

// Object is a PREMIS file object.
type Object struct {
	XSIType    string         `xml:"xsi:type,attr"`
	Identifier objectID       `xml:"objectIdentifier"`
	Chars      Characteristic `xml:"objectCharacteristics"`
	Name       string         `xml:"originalName,omitempty"`
	// Signatures describe digital signatures the file carries (a signed PDF).
	Signatures []SignatureInformation `xml:"signatureInformation,omitempty"`
}

// SignatureInformation is PREMIS signatureInformation with one signature.
type SignatureInformation struct {
	Signature Signature `xml:"signature"`
}

// Signature describes one digital signature of a file: its encoding, the
// signer, the method, where its value is, the rules to validate it, and
// properties such as the signing time.
type Signature struct {
	Encoding        string   `xml:"signatureEncoding"`
	Signer          string   `xml:"signer,omitempty"`
	Method          string   `xml:"signatureMethod"`
	Value           string   `xml:"signatureValue"`
	ValidationRules string   `xml:"signatureValidationRules"`
	Properties      []string `xml:"signatureProperties,omitempty"`
}

type objectID struct {
	Type  string `xml:"objectIdentifierType"`
	Value string `xml:"objectIdentifierValue"`
}

// Characteristic is objectCharacteristics: fixity, size and format.
type Characteristic struct {
	Fixity Fixity `xml:"fixity"`
	Size   int64  `xml:"size"`
	Format Format `xml:"format"`
}

// Fixity is a message digest with its algorithm and originator.
type Fixity struct {
	Algorithm  string `xml:"messageDigestAlgorithm"`
	Digest     string `xml:"messageDigest"`
	Originator string `xml:"messageDigestOriginator,omitempty"`
}

// Format names a file format.
type Format struct {
	Name    string `xml:"formatDesignation>formatName"`
	Version string `xml:"formatDesignation>formatVersion,omitempty"`
	// Registry is the format's entry in a registry such as PRONOM, when known.
	Registry *FormatRegistry `xml:"formatRegistry,omitempty"`
}

// FormatRegistry is a format's key in a registry, e.g. PRONOM fmt/477 (PDF/A-2b).
type FormatRegistry struct {
	Name string `xml:"formatRegistryName"`
	Key  string `xml:"formatRegistryKey"`
	Role string `xml:"formatRegistryRole,omitempty"`
}

// Event is a PREMIS event: what was done, when, with what outcome, by which
// agents, to which objects.
type Event struct {
	Identifier eventID      `xml:"eventIdentifier"`
	Type       string       `xml:"eventType"`
	DateTime   string       `xml:"eventDateTime"`
	Detail     []Detail     `xml:"eventDetailInformation"`
	Outcome    *Outcome     `xml:"eventOutcomeInformation,omitempty"`
	Agents     []agentLink  `xml:"linkingAgentIdentifier"`
	Objects    []objectLink `xml:"linkingObjectIdentifier"`
}

type eventID struct {
	Type  string `xml:"eventIdentifierType"`
	Value string `xml:"eventIdentifierValue"`
}

// Detail is one eventDetailInformation.
type Detail struct {
	Text string `xml:"eventDetail"`
}

// Outcome is eventOutcomeInformation.
type Outcome struct {
	Outcome string         `xml:"eventOutcome"`
	Detail  *OutcomeDetail `xml:"eventOutcomeDetail,omitempty"`
}

type objectLink struct {
	Type  string `xml:"linkingObjectIdentifierType"`
	Value string `xml:"linkingObjectIdentifierValue"`
}

// OutcomeDetail is eventOutcomeDetail with a note.
type OutcomeDetail struct {
	Note string `xml:"eventOutcomeDetailNote"`
}

type agentLink struct {
	Type  string `xml:"linkingAgentIdentifierType"`
	Value string `xml:"linkingAgentIdentifierValue"`
	Role  string `xml:"linkingAgentRole,omitempty"`
}

// PAgent is a PREMIS agent: the organisation or the software.
type PAgent struct {
	Identifier agentID `xml:"agentIdentifier"`
	Name       string  `xml:"agentName"`
	Type       string  `xml:"agentType"`
	Version    string  `xml:"agentVersion,omitempty"`
}

type agentID struct {
	Type  string `xml:"agentIdentifierType"`
	Value string `xml:"agentIdentifierValue"`
}

// NewObject returns a file object identified locally by id (its bag path).
func NewObject(id, sha256 string, size int64, format, version string) Object {
	return Object{XSIType: "file", Identifier: objectID{"local", id},
		Chars: Characteristic{Fixity: Fixity{Algorithm: ChecksumT, Digest: sha256, Originator: "sohoa"}, Size: size,
			Format: Format{Name: format, Version: version}}}
}

// NewEvent returns an event with a local identifier, linked to the given
// agents (local identifiers, role "executing program" for software and
// "implementer" otherwise is up to the caller through roles) and objects.
func NewEvent(id, typ, when, outcome string, details []string) Event {
	e := Event{Identifier: eventID{"local", id}, Type: typ, DateTime: when}
	for _, d := range details {
		e.Detail = append(e.Detail, Detail{d})
	}
	if outcome != "" {
		e.Outcome = &Outcome{Outcome: outcome}
	}
	return e
}

// LinkAgent links the event to the agent with local identifier id in role.
func (e *Event) LinkAgent(id, role string) {
	e.Agents = append(e.Agents, agentLink{"local", id, role})
}

// LinkObject links the event to the object with local identifier id.
func (e *Event) LinkObject(id string) {
	e.Objects = append(e.Objects, objectLink{"local", id})
}

// NewAgent returns an agent with a local identifier; typ is "organization" or "software".
func NewAgent(id, name, typ, version string) PAgent {
	return PAgent{Identifier: agentID{"local", id}, Name: name, Type: typ, Version: version}
}

// WritePremis writes p as a PREMIS 3.0 XML document.
func WritePremis(w io.Writer, p *Premis) error {
	p.NS, p.XSI, p.Version = PremisNS, XSINS, "3.0"
	return encode(w, p)
}
