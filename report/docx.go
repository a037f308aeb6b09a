package report

import (
	"archive/zip"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
)

// The .docx is a minimal WordprocessingML package written by hand: content
// types, the package and document relationships, styles and the document.
// Its styles follow the usual layout of a government work report (GB/T
// 9704): 仿宋 body text at 三号 (16 pt) with a two-character first-line
// indent and fixed 28 pt lines, 黑体 for 一、 headings, 楷体 for （一）
// headings, a 小标宋 title. A clerk pastes the sections into the office's
// own template, where the template's styles of the same names take over.

const (
	wNS       = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
	relNS     = "http://schemas.openxmlformats.org/package/2006/relationships"
	officeRel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
)

// docxParts are the package's parts in the order they are zipped;
// [Content_Types].xml comes first, as some readers expect.
var docxParts = []string{"[Content_Types].xml", "_rels/.rels", "docProps/core.xml", "word/_rels/document.xml.rels", "word/styles.xml", "word/document.xml"}

const contentTypesXML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>
<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>
</Types>`

const packageRelsXML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="` + relNS + `">
<Relationship Id="rId1" Type="` + officeRel + `/officeDocument" Target="word/document.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>
</Relationships>`

const documentRelsXML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="` + relNS + `">
<Relationship Id="rId1" Type="` + officeRel + `/styles" Target="styles.xml"/>
</Relationships>`

// stylesXML: sizes are in half-points (三号 = 32, 二号 = 44, 四号 = 28),
// spacing in twentieths of a point (28 pt = 560).
const stylesXML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="` + wNS + `">
<w:docDefaults>
<w:rPrDefault><w:rPr><w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" w:eastAsia="仿宋_GB2312" w:cs="Times New Roman"/><w:sz w:val="32"/><w:szCs w:val="32"/><w:lang w:val="en-US" w:eastAsia="zh-CN"/></w:rPr></w:rPrDefault>
<w:pPrDefault><w:pPr><w:spacing w:line="560" w:lineRule="exact"/><w:jc w:val="both"/></w:pPr></w:pPrDefault>
</w:docDefaults>
<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/><w:pPr><w:ind w:firstLineChars="200" w:firstLine="640"/></w:pPr></w:style>
<w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/><w:pPr><w:ind w:firstLineChars="0" w:firstLine="0"/><w:jc w:val="center"/><w:spacing w:before="240" w:after="240" w:line="600" w:lineRule="exact"/><w:outlineLvl w:val="0"/></w:pPr><w:rPr><w:rFonts w:eastAsia="方正小标宋简体"/><w:sz w:val="44"/><w:szCs w:val="44"/></w:rPr></w:style>
<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/><w:pPr><w:keepNext/><w:outlineLvl w:val="0"/></w:pPr><w:rPr><w:rFonts w:eastAsia="黑体"/></w:rPr></w:style>
<w:style w:type="paragraph" w:styleId="Heading2"><w:name w:val="heading 2"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/><w:pPr><w:keepNext/><w:outlineLvl w:val="1"/></w:pPr><w:rPr><w:rFonts w:eastAsia="楷体_GB2312"/></w:rPr></w:style>
<w:style w:type="paragraph" w:styleId="TableText"><w:name w:val="Table Text"/><w:basedOn w:val="Normal"/><w:qFormat/><w:pPr><w:ind w:firstLineChars="0" w:firstLine="0"/><w:spacing w:line="360" w:lineRule="exact"/><w:jc w:val="center"/></w:pPr><w:rPr><w:sz w:val="24"/><w:szCs w:val="24"/></w:rPr></w:style>
<w:style w:type="table" w:default="1" w:styleId="TableNormal"><w:name w:val="Normal Table"/><w:tblPr><w:tblInd w:w="0" w:type="dxa"/><w:tblCellMar><w:left w:w="108" w:type="dxa"/><w:right w:w="108" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style>
<w:style w:type="table" w:styleId="TableGrid"><w:name w:val="Table Grid"/><w:basedOn w:val="TableNormal"/><w:tblPr><w:tblBorders><w:top w:val="single" w:sz="4" w:space="0" w:color="000000"/><w:left w:val="single" w:sz="4" w:space="0" w:color="000000"/><w:bottom w:val="single" w:sz="4" w:space="0" w:color="000000"/><w:right w:val="single" w:sz="4" w:space="0" w:color="000000"/><w:insideH w:val="single" w:sz="4" w:space="0" w:color="000000"/><w:insideV w:val="single" w:sz="4" w:space="0" w:color="000000"/></w:tblBorders></w:tblPr></w:style>
</w:styles>`

const coreXML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<dc:title>%s</dc:title>
<dc:creator>pufa</dc:creator>
<dcterms:created xsi:type="dcterms:W3CDTF">%s</dcterms:created>
</cp:coreProperties>`

// docxModified is the zip entries' time: fixed, so the same report is the
// same file byte for byte.
var docxModified = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// writeDocx writes d as a .docx package.
func writeDocx(w io.Writer, d Draft) error {
	parts := map[string]string{
		"[Content_Types].xml":          contentTypesXML,
		"_rels/.rels":                  packageRelsXML,
		"docProps/core.xml":            fmt.Sprintf(coreXML, xmlText(d.Title), "2000-01-01T00:00:00Z"),
		"word/_rels/document.xml.rels": documentRelsXML,
		"word/styles.xml":              stylesXML,
		"word/document.xml":            documentXML(d),
	}
	z := zip.NewWriter(w)
	for _, name := range docxParts {
		f, err := z.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: docxModified})
		if err != nil {
			return fmt.Errorf("report: docx %s: %w", name, err)
		}
		if _, err := io.WriteString(f, parts[name]); err != nil {
			return fmt.Errorf("report: docx %s: %w", name, err)
		}
	}
	if err := z.Close(); err != nil {
		return fmt.Errorf("report: docx: %w", err)
	}
	return nil
}

// xmlText escapes s for an XML text node or attribute and drops the
// characters XML 1.0 cannot hold at all (most C0 controls), which typed
// text could carry and which would make Word refuse the whole file.
func xmlText(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r != 0xFFFE && r != 0xFFFF {
			return r
		}
		return -1
	}, s)
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func documentXML(d Draft) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n")
	b.WriteString(`<w:document xmlns:w="` + wNS + `"><w:body>`)
	para(&b, "Title", d.Title)
	if d.Subtitle != "" {
		para(&b, "TableText", d.Subtitle)
	}
	for _, s := range d.Sections {
		style := "Heading1"
		if s.Level == 2 {
			style = "Heading2"
		}
		para(&b, style, s.Heading)
		for _, p := range s.Paragraphs {
			para(&b, "Normal", p)
		}
		if s.Table != nil {
			table(&b, *s.Table)
		}
	}
	// A4 with the margins of GB/T 9704 (top 37 mm, bottom 35, left 28, right 26).
	b.WriteString(`<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="2098" w:right="1474" w:bottom="1984" w:left="1588" w:header="851" w:footer="992" w:gutter="0"/></w:sectPr>`)
	b.WriteString(`</w:body></w:document>`)
	return b.String()
}

func para(b *strings.Builder, style, text string) {
	b.WriteString(`<w:p><w:pPr><w:pStyle w:val="` + style + `"/></w:pPr><w:r><w:t xml:space="preserve">`)
	b.WriteString(xmlText(text))
	b.WriteString(`</w:t></w:r></w:p>`)
}

// table writes a bordered table across the text width (8,844 twips on A4
// with the margins above), its header row bold and repeated on each page.
func table(b *strings.Builder, t Table) {
	cols := len(t.Header)
	if cols == 0 {
		return
	}
	const width = 8844
	colW := width / cols
	b.WriteString(`<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="` + fmt.Sprint(width) + `" w:type="dxa"/><w:jc w:val="center"/><w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="1" w:lastColumn="0" w:noHBand="0" w:noVBand="1"/></w:tblPr><w:tblGrid>`)
	for range cols {
		fmt.Fprintf(b, `<w:gridCol w:w="%d"/>`, colW)
	}
	b.WriteString(`</w:tblGrid>`)
	row := func(cells []string, header bool) {
		b.WriteString(`<w:tr>`)
		if header {
			b.WriteString(`<w:trPr><w:tblHeader/></w:trPr>`)
		}
		for i := range cols {
			text := ""
			if i < len(cells) {
				text = cells[i]
			}
			fmt.Fprintf(b, `<w:tc><w:tcPr><w:tcW w:w="%d" w:type="dxa"/><w:vAlign w:val="center"/></w:tcPr><w:p><w:pPr><w:pStyle w:val="TableText"/></w:pPr><w:r>`, colW)
			if header {
				b.WriteString(`<w:rPr><w:rFonts w:eastAsia="黑体"/></w:rPr>`)
			}
			b.WriteString(`<w:t xml:space="preserve">` + xmlText(text) + `</w:t></w:r></w:p></w:tc>`)
		}
		b.WriteString(`</w:tr>`)
	}
	row(t.Header, true)
	for _, r := range t.Rows {
		row(r, false)
	}
	b.WriteString(`</w:tbl>`)
	// Word requires a paragraph between a table and what follows it.
	b.WriteString(`<w:p/>`)
}
