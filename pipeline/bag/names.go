package bag

// File names in a bag, relative to its root: the BagIt files (RFC 8493) and
// the tag files sohoa adds to every package. Every package that reads or
// writes a bag names its files with these constants.
const (
	// DeclarationFile is the bag declaration ("BagIt-Version: 1.0").
	DeclarationFile = "bagit.txt"
	// InfoFile holds the bag's metadata fields (Info).
	InfoFile = "bag-info.txt"
	// ManifestFile lists every payload file with its SHA-256.
	ManifestFile = "manifest-sha256.txt"
	// TagManifestFile lists every tag file with its SHA-256.
	TagManifestFile = "tagmanifest-sha256.txt"
	// SignatureFile is the seal: a CMS signature over TagManifestFile.
	SignatureFile = TagManifestFile + ".p7s"
	// PayloadDir is the folder holding the payload; payload paths start with PayloadDir + "/".
	PayloadDir = "data"
	// METSFile is the package's METS document.
	METSFile = "metadata/METS.xml"
	// PremisFile is the package's PREMIS preservation record.
	PremisFile = "metadata/preservation/premis.xml"
	// BatchRecordFile is the package's record of the batch (documents, pages, status).
	BatchRecordFile = "metadata/batch.json"
)
