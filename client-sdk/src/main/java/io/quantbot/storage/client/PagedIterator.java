package io.quantbot.storage.client;

import static java.util.Objects.requireNonNull;

import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Function;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * Walks a paged listing lazily: the first page is fetched on the first {@code hasNext()}, the next
 * one only when the current page is used up, until a page comes back with an empty
 * {@code next_page_token}. Each page is one call with its own deadline and retries.
 */
final class PagedIterator<T> implements Iterator<T> {
    /** One page of a listing. */
    record Page<T>(List<T> items, String nextPageToken) {
        Page {
            items = List.copyOf(requireNonNull(items, "items is null"));
            requireNonNull(nextPageToken, "nextPageToken is null");
        }
    }

    private final Function<String, Page<T>> fetchPage;
    private Iterator<T> current = List.<T>of().iterator();
    private String nextPageToken = "";
    private boolean started;

    PagedIterator(Function<String, Page<T>> fetchPage) {
        this.fetchPage = requireNonNull(fetchPage, "fetchPage is null");
    }

    static <T> Stream<T> stream(Function<String, Page<T>> fetchPage) {
        return StreamSupport.stream(
                Spliterators.spliteratorUnknownSize(
                        new PagedIterator<>(fetchPage), Spliterator.ORDERED | Spliterator.NONNULL),
                false);
    }

    @Override
    public boolean hasNext() {
        // A page may legitimately be empty while the listing goes on (e.g. entries expired meanwhile).
        while (!current.hasNext()) {
            if (started && nextPageToken.isEmpty()) {
                return false;
            }
            Page<T> page = fetchPage.apply(nextPageToken);
            started = true;
            nextPageToken = page.nextPageToken();
            current = page.items().iterator();
        }
        return true;
    }

    @Override
    public T next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        return current.next();
    }
}
