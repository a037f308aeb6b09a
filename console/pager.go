package console

import (
	"net/http"
	"net/url"
	"strconv"
)

// maxPage bounds the page number so an offset can never overflow.
const maxPage = 1_000_000

// pager is one page of a list: which page, how long, and links to its
// neighbours. Every list of the console and the API goes through one, so
// no list is ever answered whole however large it grows.
type pager struct {
	Page    int   // from 1
	PerPage int   // PageSize unless per_page asks for another, at most MaxPageSize
	Total   int64 // items in the whole list
	u       url.URL
}

// pageOf reads ?page= and ?per_page=; anything unreadable is the default.
func pageOf(r *http.Request) pager {
	p := pager{Page: 1, PerPage: PageSize, u: *r.URL}
	q := r.URL.Query()
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 1 {
		p.Page = min(n, maxPage)
	}
	if n, err := strconv.Atoi(q.Get("per_page")); err == nil && n > 0 {
		p.PerPage = min(n, MaxPageSize)
	}
	return p
}

// Offset is how many items come before this page.
func (p pager) Offset() int { return (p.Page - 1) * p.PerPage }

// Pages is the number of pages, at least 1.
func (p pager) Pages() int64 { return max(1, (p.Total+int64(p.PerPage)-1)/int64(p.PerPage)) }

func (p pager) HasPrev() bool { return p.Page > 1 }
func (p pager) HasNext() bool { return int64(p.Page)*int64(p.PerPage) < p.Total }

// PrevURL and NextURL are this request's path and query with another page.
func (p pager) PrevURL() string { return p.at(p.Page - 1) }
func (p pager) NextURL() string { return p.at(p.Page + 1) }

func (p pager) at(page int) string {
	u := p.u
	q := u.Query()
	q.Set("page", strconv.Itoa(page))
	u.RawQuery = q.Encode()
	return u.RequestURI()
}

// slice returns this page of an in-memory list and sets Total.
func pageSlice[T any](p *pager, all []T) []T {
	p.Total = int64(len(all))
	lo := min(p.Offset(), len(all))
	return all[lo:min(lo+p.PerPage, len(all))]
}

// setHeaders tells an API client the list's size and where the next page
// is (RFC 8288 Link, relative to this host).
func (p pager) setHeaders(w http.ResponseWriter) {
	w.Header().Set("X-Total-Count", strconv.FormatInt(p.Total, 10))
	if p.HasNext() {
		w.Header().Set("Link", "<"+p.NextURL()+`>; rel="next"`)
	}
}
