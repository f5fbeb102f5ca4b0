package io.quantbot.storage.client;

/** What {@link ArtifactClient#uploadSnapshot} reports while it streams a folder. Called on the uploading thread. */
@FunctionalInterface
public interface UploadProgress {
    UploadProgress NONE = (filesSent, files, bytesSent, bytes) -> {};

    /**
     * @param filesSent files whose bytes have all been sent
     * @param files files in the upload
     * @param bytesSent bytes sent so far
     * @param bytes bytes in the upload
     */
    void onProgress(long filesSent, long files, long bytesSent, long bytes);
}
