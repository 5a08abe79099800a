package io.lxdbackup.operator.testing;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.http.AbortableInputStream;
import software.amazon.awssdk.http.ExecutableHttpRequest;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpFullResponse;
import software.amazon.awssdk.http.SdkHttpMethod;

/**
 * An S3 transport in front of a real store that, while armed, answers every abort of a
 * multipart upload ({@code DELETE ?uploadId=}) itself with an S3 error instead of passing it on:
 * a store that lists uploads it then refuses (403) or claims not to know (404) when they are
 * aborted, as s3proxy's filesystem store does after a restart. Everything else reaches the store.
 */
public final class AbortRefusingTransport implements SdkHttpClient {
    /** What an abort is answered with. */
    public record Answer(int status, String code) {}

    private final SdkHttpClient delegate;
    private volatile Answer answer;
    private final AtomicInteger refused = new AtomicInteger();

    public AbortRefusingTransport(SdkHttpClient delegate) {
        this.delegate = delegate;
    }

    /** From now on aborts are answered with {@code status} and error {@code code}; null passes them on. */
    public void answerAborts(Answer a) {
        this.answer = a;
    }

    /** The answer given to aborts now (null: passed to the store). */
    public Answer answer() {
        return answer;
    }

    /** Aborts answered here instead of by the store. */
    public int refused() {
        return refused.get();
    }

    @Override
    public ExecutableHttpRequest prepareRequest(HttpExecuteRequest r) {
        Answer a = answer;
        if (a == null
                || r.httpRequest().method() != SdkHttpMethod.DELETE
                || !r.httpRequest().rawQueryParameters().containsKey("uploadId")) {
            return delegate.prepareRequest(r);
        }
        refused.incrementAndGet();
        byte[] body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + a.code() + "</Code><Message>"
                        + a.code() + " (refused by the test's transport)</Message><RequestId>0</RequestId></Error>")
                .getBytes(StandardCharsets.UTF_8);
        return new ExecutableHttpRequest() {
            @Override
            public HttpExecuteResponse call() {
                SdkHttpFullResponse response = SdkHttpFullResponse.builder()
                        .statusCode(a.status())
                        .putHeader("Content-Type", "application/xml")
                        .putHeader("Content-Length", String.valueOf(body.length))
                        .build();
                return HttpExecuteResponse.builder()
                        .response(response)
                        .responseBody(AbortableInputStream.create(new ByteArrayInputStream(body)))
                        .build();
            }

            @Override
            public void abort() {}
        };
    }

    @Override
    public String clientName() {
        return delegate.clientName();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
