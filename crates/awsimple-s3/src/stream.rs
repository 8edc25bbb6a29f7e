//! Object bodies as streams: read an object chunk by chunk without holding it whole, checked
//! as it streams past.

use awsimple_core::Result;
use bytes::Bytes;
use futures::stream::{self, Stream, StreamExt};

use crate::access::S3Access;
use crate::names::validate_key;
use crate::verify::{ContentCheck, body_error};

impl S3Access {
    /// The object's content as a stream of [`Bytes`] chunks, as they arrive: for objects too
    /// large to hold in memory, or to start working before the last byte came. The content is
    /// checked as it streams past, against what [`S3Access::read_bytes`] checks it against
    /// (the SHA-512 or full-object CRC64NVME, else the ETag when it is the MD5): when it does
    /// not match, the last item is an [`Error::Integrity`](crate::Error::Integrity). Trust
    /// the bytes once the stream has ended without an error.
    ///
    /// The access's operation timeout bounds the GetObject request; the body comes at the pace
    /// the stream is polled. After an error the stream ends.
    ///
    /// # Errors
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) for an invalid key and
    /// [`Error::NotFound`](crate::Error::NotFound) when the object does not exist, from the
    /// call itself; a body cut off ([`Error::Unreachable`](crate::Error::Unreachable)) or not
    /// matching its checksum ([`Error::Integrity`](crate::Error::Integrity)) as an `Err` item.
    ///
    /// # Cancellation
    /// Dropping the stream closes the connection; nothing is left behind.
    ///
    /// ```no_run
    /// # async fn demo(s3: awsimple_s3::S3Access) -> awsimple_s3::Result<()> {
    /// use futures::StreamExt;
    ///
    /// let mut body = s3.read_stream("big.log").await?;
    /// let mut size = 0;
    /// while let Some(chunk) = body.next().await {
    ///     size += chunk?.len();
    /// }
    /// println!("{size} bytes, verified");
    /// # Ok(()) }
    /// ```
    pub async fn read_stream(
        &self,
        key: &str,
    ) -> Result<impl Stream<Item = Result<Bytes>> + Send + Unpin + 'static> {
        validate_key(key)?;
        let resource = self.resource(key);
        let (body, expected, checksum) = self.get_for_read(key, &resource).await?;
        let check = ContentCheck::new(&expected);
        Ok(
            stream::unfold(Some((body, check, resource)), move |state| async move {
                let (mut body, mut check, resource) = state?;
                match body.next().await {
                    Some(Ok(chunk)) => {
                        check.update(&chunk);
                        Some((Ok(chunk), Some((body, check, resource))))
                    }
                    Some(Err(e)) => Some((Err(body_error(&resource, checksum, e)), None)),
                    None => match check.verify(&resource) {
                        Ok(_) => None,
                        Err(e) => Some((Err(e), None)),
                    },
                }
            })
            .boxed(),
        )
    }
}
