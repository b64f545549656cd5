// JPEGs are walked to the end before decoding: real baseline and progressive files decode; a small file
// of many scans over a large frame (each scan costs the decoder a pass over the whole frame) and image
// data without Huffman tables are refused at once with a clear message.
using System.Diagnostics;
using ScratchNet.Images;

namespace ScratchNet.Tests.Images;

public class JpegBudgetTests
{
    // A 64×64 "7", dark ink on white, written by libjpeg-turbo's cjpeg -quality 90: grey baseline (1 scan)
    // and colour progressive (10 scans).
    private static readonly byte[] Baseline = Convert.FromBase64String("/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMUFRUVDA8XGBYUGBIUFRT/wAALCABAAEABAREA/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/9oACAEBAAA/AP1ToooooooorzD9pf41/wDDO/wS8R/EL+xv+Eg/sf7N/wAS77V9m87zbmKD/WbH2483d905244zkfCn/D6r/qjf/l0f/cdH/D6r/qjf/l0f/cdH/D6r/qjf/l0f/cdH/D6r/qjf/l0f/cdfdf7NHxr/AOGiPgl4c+IX9jf8I/8A2x9p/wCJd9q+0+T5VzLB/rNibs+Vu+6Mbsc4yfT6K8w/aX+Cn/DRHwS8R/D3+2f+Ef8A7Y+zf8TH7L9p8nyrmKf/AFe9N2fK2/eGN2ecYPwp/wAOVf8Aqsn/AJa//wB2Uf8ADlX/AKrJ/wCWv/8AdlH/AA5V/wCqyf8Alr//AHZXxl+1l8AdA/Zp+JX/AAg+m+Np/Get2cKy6qW0Y2EVm0iJJFGrGaQysY3DsQAqhkAZmLBP1N/4Jb6pr97+yT4bttS0KDTNEs5ruLStQW/E0upK15cPLI0IQCBUkYxqC7MxjdiqrtLfXVFFFFedftAfG/QP2efhVrfjXX7iBUs4WWxsppjE2o3hRjDaxkKx3OVxkK21QzkbUYj8KfhR8NfGP7XXx7j0uEz32t+ItSfUda1aG1QraRSTbrq8kQFECqZC20FQzFUX5mUH+gfwt4Z03wX4Z0jw9o1t9j0fSbOGwsrbzGk8qCJAkabmJZsKoGWJJxySa1KKKKK/Hf8A4KvftF/8LH+Ltr8ONGvvN8PeD8/bfIl3RXGpuP3mdsjI/kpiIblV0ka5U8Gvp3/glD+zp/wrj4RXXxH1mx8rxD4wx9i8+LbLb6Yh/d43Rq6ec+ZTtZkeNbZhyK+66KKKK8J/bW/aB/4Zv/Z81/xNaS+V4hu8aVofy5xfTK2yTmN0/dIsk21xtfydmQXFfkD+x78E739q39pbS9K12afVdOM0mu+Jbu6nZ5bi2Rw0u9zIkjNNI6RF1YupmL4O01+9Wl6XZaHplnpum2cGn6dZwpb21paxLFFBEihUREUAKqgAAAYAAAq1RRRRX4Zf8FEP2nJf2h/jhd2Gm3cFz4J8JzTaforwJGROx2Lc3PmoziRZJIhsYMF8tIyFVmct+k3/AATv/Zji/Z4+B9pf6laT23jbxZDDqGtJO8gMCje1tbeU6oY2jjlO9SpbzHkBZlVAv1PRRRRVXVNOi1jTLywneeOC6heCR7W4kt5VVlKkpLGyvG2Dw6MGU4IIIBr520v/AIJx/s6aPqdnfwfDaCSe1mSeNLrVL64iZlYMA8Uk7JIuRyjqVYZBBBIr6Tooor//2Q==");
    private static readonly byte[] Progressive = Convert.FromBase64String("/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMUFRUVDA8XGBYUGBIUFRT/2wBDAQMEBAUEBQkFBQkUDQsNFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBT/wgARCABAAEADASIAAhEBAxEB/8QAGQABAQEBAQEAAAAAAAAAAAAAAAgGBwQD/8QAFwEBAQEBAAAAAAAAAAAAAAAAAAECA//aAAwDAQACEAMQAAABqkzBp0xrKcTGKcZjTysxpxManFkx8ZuCFdqv675fVzoAwpO3Tp7vTc+oxQENXBzuzy9TJQP/xAAhEAABAgYDAQEAAAAAAAAAAAAGAwUABAcWFyABAhUQMP/aAAgBAQABBQL8SV6t1kzVGaozVGaoGnq4mT4SstxMmFYwrGFYLGBAacqXKr9xLV/e0B5qam2cLn6Vlk5KW1quRei70oHfOaNTUgtsfD2TuVkqSXRBPWoZPyQvdPBjgeZNVU+Fk0qcjqKmn//EABQRAQAAAAAAAAAAAAAAAAAAAED/2gAIAQMBAT8BB//EABkRAAIDAQAAAAAAAAAAAAAAAAABEBEhIP/aAAgBAgEBPwEplObYuHmSsn//xAAuEAABAgMECgICAwAAAAAAAAABAgMABBESITFBBRMUICM1gZGk4iIyUnEQMHL/2gAIAQEABj8C/pmNIanaNTZ4dqzWqgMescn8r0jk/lekcn8r0jk/lekS+kNTs+utcO1apRRGPT+ZjR+u2fXWeJZtUooHDpHOPF945x4vvHOPF942FudM48gVd4NgIreBia3RLJcYDbKCoNOW6lz5qqaZX3dN56dfUPgPggmmsXkkQGhVb0w5rHnQn6gn5LPeGpdlNhlpAQhNcAMN5OjmV1l5P70NynM88sP3ahWkXkUmJz6VF6W8ss8f1Z3n5lJpMK4TH+znhleekNNPkut1L8ypRvUnPOt5u6wlttIbbQLKUpFABvKQ2oKkpQltmlL/AMlVzqR2pCVuJKZ2bAcerW78U0yoD3rvKQagKFDZUUnuMISsaNBKTUWnVqHYm/d//8QAIBABAQACAgICAwAAAAAAAAAAAREhQSAxAGFx8RAwUf/aAAgBAQABPyH9P1kCiZt1riiIn1kCiLt1v8/eQKIune+CIkY+0qAA5lV0UythQuxNUScRRlWmBLxPVFLaD1nLP4wr0Plmfj5ZJghpisDKeZbBYYoK5cG+Xy2BJ9EM7AiHnw2BB9gl6KIXL1PE1s7DAi4cd+UIyOgbTCWKGmevAPxDBEADoOTP605cECxgNkYCtJ/WvDloCsglrJAnFD27EBJhBXsaeDeuTRG5SD0keP8A/9oADAMBAAIAAwAAABDz/wD88/g+86988r+8/8QAGBEAAwEBAAAAAAAAAAAAAAAAAAEQESD/2gAIAQMBAT8QNNuD4Vd//8QAGhEBAAIDAQAAAAAAAAAAAAAAAQAREDFhIf/aAAgBAgEBPxDc5TlNTU7Rr6xbbwF+R0pliti23j//xAAeEAEBAAICAwEBAAAAAAAAAAABESExACAQUfAwQf/aAAgBAQABPxD8fg5r3HuXDFp0RET4Oa916kwzK+Pg5r3XqTLMj5REtxhq40IwsAAiByXXHIgwRoCwqh2PKoIwyBKxSApULQwwxgU0TCEwg6h4OftGAFSsyr22j7XXtoSaMsPNI+316bEuDLJ20FvcmwtPD/VE8aNQ63rqDsZS1wLNLXw8AAACAAdm+4HDYvQMhSEPBfcDks3qGyhIHsW/TQgmYjgyREQeDfpoQBdQy4KIinX/2Q==");

    /// <summary>SOI, a baseline frame of width × height (one component), optionally Huffman tables, then <paramref name="scans"/> scans of 100 zero bytes, EOI.</summary>
    internal static byte[] ScanBomb(int width, int height, int scans, bool huffman)
    {
        var bytes = new List<byte> { 0xFF, 0xD8 };
        bytes.AddRange([0xFF, 0xC0, 0x00, 0x0B, 0x08, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width, 0x01, 0x01, 0x11, 0x00]);
        if (huffman)
        {
            // One DC table with a single 1-bit code for symbol 0.
            bytes.AddRange([0xFF, 0xC4, 0x00, 0x14, 0x00, 0x01, .. new byte[15], 0x00]);
        }
        for (int s = 0; s < scans; s++)
        {
            bytes.AddRange([0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00]);
            bytes.AddRange(new byte[100]);
        }
        bytes.AddRange([0xFF, 0xD9]);
        return [.. bytes];
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Real_baseline_and_progressive_jpegs_decode(bool progressive)
    {
        var (grey, width, height) = ImageDecoder.Decode(progressive ? Progressive : Baseline, "seven.jpg");
        Assert.Equal((64, 64), (width, height));
        Assert.True(grey[(15 * 64) + 30] < 80, "the top bar of the 7 is dark");
        Assert.True(grey[(60 * 64) + 5] > 200, "the corner is white");
    }

    [Theory]
    [InlineData(4096, 4096, 12, "12 or more scans over 16,777,216 pixels")]
    [InlineData(1000, 1000, 40, "33 or more scans")]
    public void Many_scans_over_a_large_frame_are_refused_before_decoding(int width, int height, int scans, string expected)
    {
        var clock = Stopwatch.StartNew();
        var ex = Assert.Throws<InvalidDataException>(() => ImageDecoder.Decode(ScanBomb(width, height, scans, huffman: true), "bomb.jpg"));
        Assert.Contains(expected, ex.Message);
        Assert.Contains("over the decoding budget", ex.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "refused without decoding");   // a hang guard
    }

    [Fact]
    public void Image_data_without_Huffman_tables_is_refused_before_decoding()
    {
        // The reported attack: a 4096×4096 frame, no tables, scans of zeros (7 KB held a core for 7.6 s).
        var ex = Assert.Throws<InvalidDataException>(() => ImageDecoder.Decode(ScanBomb(4096, 4096, 70, huffman: false), "bomb.jpg"));
        Assert.Contains("no Huffman tables", ex.Message);
    }

    [Fact]
    public void A_top_down_bmp_decodes_the_right_way_up()
    {
        // A top-down BMP stores a negative height; it was refused as "4×-2 pixels".
        int width = 4, height = 2, row = ((width * 3) + 3) / 4 * 4;
        var bmp = new byte[54 + (row * height)];
        bmp[0] = (byte)'B';
        bmp[1] = (byte)'M';
        BitConverter.GetBytes(bmp.Length).CopyTo(bmp, 2);
        BitConverter.GetBytes(54).CopyTo(bmp, 10);
        BitConverter.GetBytes(40).CopyTo(bmp, 14);
        BitConverter.GetBytes(width).CopyTo(bmp, 18);
        BitConverter.GetBytes(-height).CopyTo(bmp, 22);
        BitConverter.GetBytes((short)1).CopyTo(bmp, 26);
        BitConverter.GetBytes((short)24).CopyTo(bmp, 28);
        Array.Fill(bmp, (byte)255, 54 + row, width * 3);   // the second stored row — the bottom one — white
        var (grey, w, h) = ImageDecoder.Decode(bmp, "top-down.bmp");
        Assert.Equal((4, 2), (w, h));
        Assert.Equal(0, grey[0]);        // top row black
        Assert.Equal(255, grey[w]);      // bottom row white
    }

    [Fact]
    public void A_decode_that_runs_past_its_time_budget_is_stopped_with_a_clear_error()
    {
        // Within the scan budget (11 scans × 16.8 M pixels) but about a second of decoding: a 50 ms budget stops it.
        byte[] slow = ScanBomb(4096, 4096, 11, huffman: true);
        var ex = Assert.Throws<InvalidDataException>(() => ImageDecoder.Decode(slow, "slow.jpg", TimeSpan.FromMilliseconds(50), CancellationToken.None));
        Assert.Contains("slow.jpg: decoding the JPEG ran past its time budget of 0.1 s and was stopped", ex.Message);
        // Given time, it decodes (a flat frame: nothing but zeros in its scans).
        var (_, width, height) = ImageDecoder.Decode(slow, "slow.jpg", TimeSpan.FromMinutes(1), CancellationToken.None);
        Assert.Equal((4096, 4096), (width, height));
    }

    [Fact]
    public void A_cancelled_decode_stops()
    {
        // The decoder checks the token as it reads (the gate's test cancels one mid-decode through the server path).
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => ImageDecoder.Decode(ScanBomb(4096, 4096, 11, huffman: true), "slow.jpg", cancel.Token));
    }
}
