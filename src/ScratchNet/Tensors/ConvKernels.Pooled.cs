// A stride-1 convolution straight before 2×2 max pooling (Network.Forward): the forward pass pools
// the product's rows as they come (PoolKernels.Row) instead of writing Z — the largest maps of a
// step. Each filter's bias is added to every value first, so the values, comparisons and ties are
// the ones MaxPool2D makes on the maps TakeBack would write: the same bits (FusedLayerPairsTests).
namespace ScratchNet.Tensors;

internal static unsafe partial class ConvKernels
{
    /// <summary>Where a convolution's forward pass writes Z's 2×2 max pooling instead of Z: MaxPool2D's output and winners.</summary>
    internal sealed record Pooling(float[] Output, int[] Winners);

    /// <summary>
    /// Whether the forward pass (training or not) can write Z's 2×2 max pooling instead of Z: when it runs the
    /// stride-1 products, whose rows it pools (the unrolled path keeps its columns for the weight gradient).
    /// </summary>
    internal static bool PoolsProduct(ConvShape shape, bool training) => Shifts(shape) && (!training || ShiftsWeights(shape));

    /// <summary>
    /// Z [m, O·Ho·Wo] = W ⋆ X + b pooled 2×2 with stride 2 into <paramref name="pooled"/> (as MaxPool2D over Z: its output
    /// [m, O·(Ho/2)·(Wo/2)] and winners, the same bits), Z itself never written. Only where <see cref="PoolsProduct"/>.
    /// </summary>
    public static void ForwardPooled(float[] X, float[] W, float[] b, ConvShape shape, int m, Pooling pooled, ConvWorkspace work, bool training)
    {
        if (!PoolsProduct(shape, training))
        {
            throw new InvalidOperationException($"This convolution's forward pass unrolls columns; it cannot pool its product ({shape.Output}).");
        }
        ShiftedForward(X, W, b, shape, m, [], work, pooled);
    }

    /// <summary>
    /// The product's rows [F, Columns] (+ bias[f]) pooled 2×2 with stride 2, as MaxPool2D pools the maps TakeBack would
    /// write: pooled [m, F·(Ho/2)·(Wo/2)] and each window's winner as an index into example n's Z row
    /// (f·Ho·Wo + y·Wo + x). Reads stay below rows[<paramref name="readable"/>]; whole vectors of windows may pass a
    /// row's end, never an example's.
    /// </summary>
    private static void PoolBack(float* rows, long ldr, long readable, int filters, int n0, int G, Spread spread, float* bias, float* pooled, int* winners)
    {
        int Ho = spread.OutHeight, Wo = spread.OutWidth, Hp = Ho / 2, Wp = Wo / 2, plane = Ho * Wo, pooledPlane = Hp * Wp;
        int example = filters * pooledPlane;
        for (int g = 0; g < G; g++)
        {
            long first = (long)(n0 + g) * example;
            for (int f = 0; f < filters; f++)
            {
                float* src = rows + (f * ldr);
                for (int yo = 0; yo < Hp; yo++)
                {
                    int o = (f * pooledPlane) + (yo * Wp);
                    PoolKernels.Row<PlusBias>(src, spread.Output(g, 2 * yo), spread.Pitch, bias[f], Wp, readable - (f * ldr),
                        pooled + first + o, winners + first + o, example - o, (f * plane) + (2 * yo * Wo), Wo);
                }
            }
        }
    }
}
